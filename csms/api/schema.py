"""The OpenAPI schema: every operation also documents the errors it can answer."""

from drf_spectacular import openapi

from csms.api.errors import ErrorCode, ErrorSerializer, listed
from csms.api.permissions import IsDriver

_AUTHENTICATION = (
    ErrorCode.NOT_AUTHENTICATED,
    ErrorCode.TOKEN_NOT_VALID,
    ErrorCode.BAD_AUTHORIZATION_HEADER,
    ErrorCode.USER_NOT_FOUND,
    ErrorCode.USER_INACTIVE,
)
_DESCRIPTIONS = {
    "400": f"Invalid input: {listed(ErrorCode.VALIDATION_ERROR, ErrorCode.PARSE_ERROR)}; `fields` names each invalid "
    "field.",
    "401": f"No valid access token: {listed(*_AUTHENTICATION)}.",
    "403": f"Not a driver account: {listed(ErrorCode.PERMISSION_DENIED)}.",
    "404": f"No such object, or not yours; or a page past the last one: {listed(ErrorCode.NOT_FOUND)}.",
    "429": f"Too many requests: {listed(ErrorCode.THROTTLED)}; retry after the `Retry-After` header's seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = _DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def _error_codes(self) -> list[str]:
        codes = ["400"]  # malformed query parameters or body
        if any(isinstance(p, IsDriver) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        if getattr(self.view, "throttle_scope", None) or self.view.get_throttles():
            codes.append("429")
        return codes
