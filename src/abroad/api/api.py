"""The read API (django-ninja): OpenAPI 3 at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="abroad API",
    version="1.0.0",
    description="Read access to the catalogue of international mobility agreements.",
    urls_namespace="api-1.0.0",
)
