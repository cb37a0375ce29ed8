"""Login, token refresh and logout for Orders API clients (``/api/auth``)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import login
from toolkit.api.schema import PROBLEM_UNAUTHENTICATED, problem_responses

from .base import OrdersApiView
from .serializers import IssuedLoginSerializer, LoginSerializer, RefreshSerializer

TAG = "Orders API: login"
ISSUED = OpenApiResponse(IssuedLoginSerializer, description="A new token and refresh token.")


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

    @extend_schema(
        operation_id="auth_login",
        tags=[TAG],
        auth=[],
        request=LoginSerializer,
        responses={
            200: ISSUED,
            **problem_responses(
                {
                    400: "An invalid body (errorCode 3).",
                    401: "Wrong user name or password, or an inactive user (errorCode 1).",
                    429: (
                        "Too many failed logins of this user name or from this address within "
                        "the window; `Retry-After` says when to try again."
                    ),
                }
            ),
        },
        description="Exchange a user name and password for an expiring token.",
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

    @extend_schema(
        operation_id="auth_logout",
        tags=[TAG],
        responses={
            204: OpenApiResponse(description="Logged out."),
            **problem_responses(
                {
                    400: (
                        "The key was issued in the admin, not by a login: revoke it there "
                        "(errorCode 3)."
                    ),
                    401: PROBLEM_UNAUTHENTICATED,
                }
            ),
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
    @extend_schema(
        operation_id="auth_refresh",
        tags=[TAG],
        auth=[],
        request=RefreshSerializer,
        responses={
            200: ISSUED,
            **problem_responses(
                {
                    400: "An invalid body (errorCode 3).",
                    401: "Unknown, used or expired refresh token (errorCode 1).",
                }
            ),
        },
        description="Exchange a refresh token for a new token and refresh token (once).",
    )
    def post(self, request):
        body = RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            issued = login.refresh(refresh_token=body.validated_data["refreshToken"])
        except login.RefreshRefused:
            raise AuthenticationFailed("Unknown, used or expired refresh token") from None
        return Response(IssuedLoginSerializer(issued).data)
