"""Sign-up, sign-in, token refresh, sign-out and the driver's profile."""

from django.contrib.auth import authenticate
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.serializers import (
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    ProfileSerializer,
    RefreshSerializer,
    SignedUpSerializer,
    SignUpSerializer,
    TokenPairSerializer,
)
from csms.api.errors import ApiError, ErrorCode, listed
from csms.api.throttling import ClientScopedRateThrottle


def _token_pair(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _password_errors(error: DjangoValidationError, field: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: get_error_detail(error)})


class AuthView(APIView):
    """The doors into the API: open to anyone, throttled per client address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "auth"


class SignUpView(AuthView):
    @extend_schema(
        tags=["account"],
        request=SignUpSerializer,
        responses={201: SignedUpSerializer},
        summary="Create a driver account",
        description=f"Error codes: {listed(ErrorCode.EMAIL_TAKEN, ErrorCode.VALIDATION_ERROR)}.",
    )
    def post(self, request):
        data = SignUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = services.register_driver(**data.validated_data)
        except services.EmailTaken:
            raise ApiError(ErrorCode.EMAIL_TAKEN, "An account with this e-mail exists.")
        except DjangoValidationError as error:
            raise _password_errors(error, "password")
        body = {"profile": ProfileSerializer(user).data, "tokens": _token_pair(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(AuthView):
    @extend_schema(
        tags=["account"],
        request=LoginSerializer,
        responses={200: TokenPairSerializer},
        summary="Sign in",
        description=f"Error codes: {listed(ErrorCode.INVALID_CREDENTIALS)}.",
    )
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=services.normalise_email(data.validated_data["email"]),
            password=data.validated_data["password"],
        )
        if user is None or user.is_staff:  # operators sign in to the admin, not here
            raise ApiError(ErrorCode.INVALID_CREDENTIALS, "Wrong e-mail or password.")
        return Response(_token_pair(user))


class RefreshView(AuthView):
    @extend_schema(
        tags=["account"],
        request=RefreshSerializer,
        responses={200: TokenPairSerializer},
        summary="Exchange a refresh token for a new pair",
        description=f"The refresh token sent is revoked (rotation). Error codes: {listed(ErrorCode.TOKEN_NOT_VALID)}.",
    )
    def post(self, request):
        data = TokenRefreshSerializer(data=request.data)
        try:
            data.is_valid(raise_exception=True)
        except TokenError as error:
            raise ApiError(ErrorCode.TOKEN_NOT_VALID, str(error))
        except ObjectDoesNotExist:  # the account was deleted since the token was issued
            raise ApiError(ErrorCode.TOKEN_NOT_VALID, "The account no longer exists.")
        return Response(data.validated_data)


class LogoutView(APIView):
    @extend_schema(tags=["account"], request=LogoutSerializer, responses={204: None}, summary="Sign out")
    def post(self, request):
        data = LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.sign_out(
            user=request.user,
            refresh_token=data.validated_data["refresh"],
            everywhere=data.validated_data["everywhere"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["account"])
class ProfileView(generics.RetrieveUpdateAPIView):
    serializer_class = ProfileSerializer
    http_method_names = ["get", "patch", "options"]

    def get_object(self):
        return self.request.user


class PasswordChangeView(APIView):
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["account"],
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer},
        summary="Change the password",
        description="Signs the account out on every other device and answers a fresh token pair for this "
        f"one. Error codes: {listed(ErrorCode.WRONG_PASSWORD)}.",
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            changed = services.change_password(user=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise _password_errors(error, "new_password")
        if not changed:
            raise ApiError(ErrorCode.WRONG_PASSWORD, "The current password is wrong.")
        return Response(_token_pair(request.user))
