from django.urls import path

from api.api import api
from solidarity.api import router as solidarity_router

# Apps above the API's own imports add their part here, so api.py stays the directory's.
api.add_router("/solidarity", solidarity_router)

urlpatterns = [path("", api.urls)]
