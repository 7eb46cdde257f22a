/**
 * The URLs a page the person saw points to (a[href], img[src]), read from the document tree parse5
 * builds as a browser does (html.ts): how the registration modules see whether the OP showed the
 * client's logo_uri, policy_uri and tos_uri to the person (Dynamic Client Registration §2).
 */
import { parse, type DefaultTreeAdapterTypes } from 'parse5';

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;

function walk(node: Node, found: Element[]): Element[] {
  const content = (node as { content?: Node }).content;
  const kids = content ? [content] : ((node as { childNodes?: Node[] }).childNodes ?? []);
  for (const child of kids) {
    if ('tagName' in child) found.push(child);
    walk(child, found);
  }
  return found;
}

/** Every `a href` and `img src` of the HTML, resolved against the page's URL. */
export function linksOf(html: string, url: string): { tag: 'a' | 'img'; url: string }[] {
  const links: { tag: 'a' | 'img'; url: string }[] = [];
  for (const el of walk(parse(html, { scriptingEnabled: false }), [])) {
    const name = el.tagName === 'a' ? 'href' : el.tagName === 'img' ? 'src' : undefined;
    const value = name && el.attrs.find((a) => a.name === name)?.value;
    if (value && URL.canParse(value, url))
      links.push({ tag: el.tagName as 'a' | 'img', url: new URL(value, url).toString() });
  }
  return links;
}
