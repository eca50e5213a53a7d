"""The portal's URLs and ``/api/bench/trivial``: the baseline for api_consent."""

from __future__ import annotations

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacyportal.urls import urlpatterns as portal


class TrivialView(APIView):
    """DRF's request and response cycle and JSON rendering, nothing else."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [path("api/bench/trivial", TrivialView.as_view()), *portal]
