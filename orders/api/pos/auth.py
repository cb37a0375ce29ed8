"""Login, token refresh and logout for Orders API clients (``/api/auth``)."""

from functools import partial

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import AuthenticationFailed, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import login
from toolkit.api.schema import PROBLEM_UNAUTHENTICATED, problem_operation

from .base import OrdersApiView
from .serializers import IssuedLoginSerializer, LoginSerializer, RefreshSerializer

TAG = "Orders API: login"
operation = partial(problem_operation, tag=TAG)
ISSUED = OpenApiResponse(IssuedLoginSerializer, description="A new token and refresh token.")


def token_exchange(
    *, operation_id: str, request, description: str, refused: str, throttled: str = ""
):
    """The schema of an anonymous POST that answers a new token and refresh token, or a
    problem: 400 for an invalid body, 401 (``refused``) for what it will not exchange, and 429
    (``throttled``) where it is throttled."""
    return operation(
        operation_id=operation_id,
        auth=[],
        request=request,
        ok={200: ISSUED},
        problems={
            400: "An invalid body (errorCode 3).",
            401: refused,
            **({429: throttled} if throttled else {}),
        },
        description=description,
    )


class AnonymousPostView(OrdersApiView):
    """POST needs no key (it is how a client gets one); an Authorization header is ignored."""

    def _anonymous(self) -> bool:
        request = getattr(self, "request", None)  # None while the schema is generated
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        return [] if self._anonymous() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._anonymous() else super().get_permissions()


class LoginView(AnonymousPostView):
    required_rights = {"DELETE": None}

    @token_exchange(
        operation_id="auth_login",
        request=LoginSerializer,
        description="Exchange a user name and password for an expiring token.",
        refused="Wrong user name or password, or an inactive user (errorCode 1).",
        throttled=(
            "Too many failed logins of this user name from this address (the lockout of every "
            "login form): refused, even with the right password, until `Retry-After` seconds "
            "have passed."
        ),
    )
    def post(self, request):
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            issued = login.log_in(
                request=request,
                username=body.validated_data["UserName"],
                password=body.validated_data["Password"],
                device_name=body.validated_data.get("DeviceName", ""),
            )
        except login.LoginThrottled as exc:
            raise Throttled(wait=exc.wait_seconds) from None
        except login.LoginRefused:
            raise AuthenticationFailed("Wrong user name or password") from None
        return Response(IssuedLoginSerializer(issued).data)

    @operation(
        operation_id="auth_logout",
        ok={204: OpenApiResponse(description="Logged out.")},
        problems={
            400: (
                "The key was issued in the admin, not by a login: revoke it there (errorCode 3)."
            ),
            401: PROBLEM_UNAUTHENTICATED,
        },
        description="Log out: the token used for this call stops working.",
    )
    def delete(self, request):
        try:
            login.log_out(request.auth)
        except login.NotALoginKey:
            raise ValidationError(
                {"Authorization": ["this key was not issued by a login: revoke it in the admin"]}
            ) from None
        return Response(status=204)


class RefreshView(AnonymousPostView):
    @token_exchange(
        operation_id="auth_refresh",
        request=RefreshSerializer,
        description="Exchange a refresh token for a new token and refresh token (once).",
        refused="Unknown, used or expired refresh token (errorCode 1).",
    )
    def post(self, request):
        body = RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            issued = login.refresh(refresh_token=body.validated_data["refreshToken"])
        except login.RefreshRefused:
            raise AuthenticationFailed("Unknown, used or expired refresh token") from None
        return Response(IssuedLoginSerializer(issued).data)
