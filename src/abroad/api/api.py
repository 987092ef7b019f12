"""The read API (django-ninja): OpenAPI 3 at /api/openapi.json, Swagger UI at /api/docs.

The docs page is ninja's own template: Swagger UI from ninja's static files (no CDN), its
settings in a ``<script type="application/json">`` data block that the browser never runs,
read by ninja's static ``swagger-ui-init.js``; so it works under the strict
Content-Security-Policy (script-src and style-src 'self'). tests/api/test_docs.py checks it,
in a real browser too.
"""

from ninja import NinjaAPI, Swagger

from abroad.api.catalogue import router as catalogue_router
from abroad.api.networks import router as networks_router

api = NinjaAPI(
    title="abroad API",
    version="1.0.0",
    description=(
        "Read access to the catalogue of international mobility agreements and to the ATHENS "
        "sessions and their courses. Anyone may read the public catalogue; a logged-in session "
        "of the mobility office also reads the agreements that are not public yet. Lists are "
        "paginated (`page`, `page_size`) and carry the total `count`."
    ),
    urls_namespace="api-1.0.0",
    # No external validator badge: nothing leaves the site. No deep links: Swagger UI puts them
    # inside each operation's button, a link in a button (axe: nested-interactive).
    docs=Swagger(settings={"validatorUrl": None, "deepLinking": False}),
)
api.add_router("", catalogue_router)
api.add_router("", networks_router)
