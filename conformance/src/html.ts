/**
 * Reading the pages the OP rendered: parse5 builds the document tree as a browser does (the WHATWG
 * HTML parsing algorithm: character references, implied and misnested tags), with scripting off,
 * as in a browser that runs no scripts. Forms are read as HTML §4.10.21.4 builds their entry list.
 */
import { parse, type DefaultTreeAdapterTypes } from 'parse5';

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

export interface FormInput {
  name: string;
  /** The input's type in lower case (`text`, `password`, `hidden`, …), or `textarea`, `select`. */
  type: string;
  value: string;
}

export interface Form {
  action: string;
  method: string;
  /** The named fields, submit buttons aside. */
  inputs: FormInput[];
  /** What the form sends as it stands: its entry list without a submitter (checked boxes only). */
  fields: Record<string, string>;
  /** Submit buttons: name=value pairs (a button without a name has name ''). */
  buttons: { name: string; value: string; text: string }[];
}

const documents = new WeakMap<Page, Node>();

/** The page's document, parsed once per page. */
function documentOf(page: Page): Node {
  let document = documents.get(page);
  if (!document) {
    document = parse(page.html, { scriptingEnabled: false });
    documents.set(page, document);
  }
  return document;
}

function isElement(node: Node): node is Element {
  return 'tagName' in node;
}

function children(node: Node): Node[] {
  const content = (node as { content?: Node }).content;
  return content ? children(content) : ((node as { childNodes?: Node[] }).childNodes ?? []);
}

/** The elements under `node` in tree order, not descending below those `skip` names. */
function elements(node: Node, skip: (el: Element) => boolean = () => false): Element[] {
  const found: Element[] = [];
  for (const child of children(node)) {
    if (!isElement(child)) continue;
    found.push(child);
    if (!skip(child)) found.push(...elements(child, skip));
  }
  return found;
}

function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

/** The text of the nodes under `node`, one space where an element begins or ends. */
function textUnder(node: Node, skip: (el: Element) => boolean = () => false): string {
  const parts: string[] = [];
  for (const child of children(node)) {
    if ('value' in child && child.nodeName === '#text') parts.push(child.value);
    else if (isElement(child) && !skip(child)) parts.push(textUnder(child, skip));
  }
  return parts.join(' ');
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The form an element belongs to: its `form` attribute's id, else the form it sits in. */
function ownerOf(el: Element, byId: Map<string, Element>): Element | undefined {
  const id = attr(el, 'form');
  if (id !== undefined) return byId.get(id);
  let node: Node | null = el.parentNode;
  while (node && isElement(node)) {
    if (node.tagName === 'form') return node;
    node = node.parentNode;
  }
  return undefined;
}

function isButton(el: Element): boolean {
  const type = (attr(el, 'type') ?? '').toLowerCase();
  if (el.tagName === 'button') return type === '' || type === 'submit';
  return el.tagName === 'input' && (type === 'submit' || type === 'image');
}

function inputOf(el: Element): FormInput | undefined {
  const name = attr(el, 'name');
  if (!name || attr(el, 'disabled') !== undefined) return undefined;
  if (el.tagName === 'textarea') return { name, type: 'textarea', value: textUnder(el) };
  if (el.tagName === 'select') {
    const options = elements(el).filter((o) => o.tagName === 'option');
    const chosen = options.find((o) => attr(o, 'selected') !== undefined) ?? options[0];
    const value = chosen ? (attr(chosen, 'value') ?? collapse(textUnder(chosen))) : '';
    return { name, type: 'select', value };
  }
  if (el.tagName !== 'input') return undefined;
  const type = (attr(el, 'type') ?? 'text').toLowerCase();
  if (['submit', 'image', 'reset', 'button', 'file'].includes(type)) return undefined;
  return { name, type, value: attr(el, 'value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : '') };
}

/** The forms of a page with their fields and submit buttons. */
export function formsOf(page: Page): Form[] {
  const all = elements(documentOf(page));
  const forms = all.filter((el) => el.tagName === 'form');
  const byId = new Map(forms.flatMap((f) => (attr(f, 'id') ? [[attr(f, 'id')!, f] as const] : [])));
  return forms.map((form) => {
    const owned = all.filter((el) => ownerOf(el, byId) === form);
    const inputs: FormInput[] = [];
    const fields: Record<string, string> = {};
    for (const el of owned) {
      const input = inputOf(el);
      if (!input) continue;
      inputs.push(input);
      const unchecked =
        (input.type === 'checkbox' || input.type === 'radio') && attr(el, 'checked') === undefined;
      if (!unchecked) fields[input.name] = input.value;
    }
    const buttons = owned.filter(isButton).map((b) => ({
      name: attr(b, 'name') ?? '',
      value: attr(b, 'value') ?? '',
      text: b.tagName === 'button' ? collapse(textUnder(b)) : (attr(b, 'value') ?? ''),
    }));
    return {
      action: new URL(attr(form, 'action') || page.url, page.url).toString(),
      method: (attr(form, 'method') ?? 'get').toUpperCase(),
      inputs,
      fields,
      buttons,
    };
  });
}

const hidden = (el: Element) => ['head', 'script', 'style', 'template'].includes(el.tagName);

/** The title of a page (whitespace collapsed, as `document.title`), else its first heading. */
export function titleOf(page: Page): string {
  const all = elements(documentOf(page));
  const title = all.find((el) => el.tagName === 'title') ?? all.find((el) => el.tagName === 'h1');
  return title ? collapse(textUnder(title)) : '';
}

/** The visible text of a page: the body's text without scripts and styles, whitespace collapsed. */
export function textOf(page: Page): string {
  return collapse(textUnder(documentOf(page), hidden));
}
