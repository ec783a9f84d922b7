"""The analyst web application: a FastAPI REST API over the lake and case store (``/api/``) and the
map UI served from ``static/`` at ``/``. Start it with ``darkfleet serve --lake DIR``."""
