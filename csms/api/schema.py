"""The OpenAPI schema: every operation also documents the errors it can answer."""

from drf_spectacular import openapi

from csms.api.errors import ErrorSerializer
from csms.api.permissions import IsDriver

_DESCRIPTIONS = {
    "400": "Invalid input: `code` is `validation_error` and `fields` names each invalid field.",
    "401": "No valid access token (`not_authenticated`, `token_not_valid`).",
    "403": "Not a driver account (`permission_denied`).",
    "404": "No such object, or not yours; or a page past the last one (`not_found`).",
    "429": "Too many requests (`throttled`); retry after the `Retry-After` header's seconds.",
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
