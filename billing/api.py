"""A driver's saved cards (save one with a SetupIntent, list, remove) and invoices."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import Invoice
from billing.payments import cards
from billing.payments.errors import NotYourPaymentMethod, ProviderUnavailable
from billing.serializers import InvoiceSerializer, SavedCardSerializer, SetupIntentSerializer
from csms.api.errors import ApiError, ErrorCode, ErrorSerializer

PROVIDER_DOWN = {503: ErrorSerializer}


def provider_unavailable(error: ProviderUnavailable) -> ApiError:
    return ApiError(
        ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
        f"The payment provider could not be reached ({error.kind}); try again.",
    )


@extend_schema(tags=["payment methods"])
class PaymentMethodsView(APIView):
    @extend_schema(summary="My saved cards", responses={200: SavedCardSerializer(many=True), **PROVIDER_DOWN})
    def get(self, request):
        try:
            saved = cards.list_payment_methods(driver=request.user)
        except ProviderUnavailable as error:
            raise provider_unavailable(error)
        return Response(SavedCardSerializer(saved, many=True).data)


@extend_schema(tags=["payment methods"])
class SetupIntentView(APIView):
    @extend_schema(
        summary="Start saving a card",
        request=None,
        responses={201: SetupIntentSerializer, **PROVIDER_DOWN},
        description="Returns a SetupIntent's client secret; the app confirms it with the card through Stripe's SDK.",
    )
    def post(self, request):
        try:
            secret = cards.create_setup_intent(driver=request.user)
        except ProviderUnavailable as error:
            raise provider_unavailable(error)
        return Response({"client_secret": secret}, status=status.HTTP_201_CREATED)


@extend_schema(tags=["payment methods"])
class PaymentMethodView(APIView):
    @extend_schema(
        summary="Remove a saved card",
        responses={204: None, **PROVIDER_DOWN},
        parameters=[OpenApiParameter("payment_method_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        description="`not_found` (404) for a card that is not one of the driver's.",
    )
    def delete(self, request, payment_method_id: str):
        try:
            cards.detach_payment_method(driver=request.user, payment_method_id=payment_method_id)
        except NotYourPaymentMethod:
            raise ApiError(ErrorCode.NOT_FOUND, "Not found.")
        except ProviderUnavailable as error:
            raise provider_unavailable(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="My invoices, newest first"),
    retrieve=extend_schema(summary="An invoice"),
)
@extend_schema(tags=["invoices"])
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Invoice.objects.none()  # for the schema; requests use get_queryset
    serializer_class = InvoiceSerializer

    def get_queryset(self):
        return Invoice.objects.filter(driver=self.request.user).order_by("-issued_at", "-pk")

    @extend_schema(summary="The invoice as PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        if not invoice.pdf or not invoice.pdf.storage.exists(invoice.pdf.name):
            raise ApiError(ErrorCode.NOT_FOUND, "The PDF is not ready yet.")
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf")
