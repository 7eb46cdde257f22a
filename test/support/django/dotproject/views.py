"""An API view as DOT's users protect theirs: a bearer token with scope `read`, else 403."""
from django.http import JsonResponse
from oauth2_provider.decorators import protected_resource


@protected_resource(scopes=["read"])
def hello(request):
    owner = request.resource_owner
    return JsonResponse({"username": owner.username if owner else None})
