"""Page-number pagination with ?page_size= up to 1000 (contract)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


def _whole_number(raw: str) -> bool:
    """ASCII digits only: isdigit() also accepts '³', which int() refuses."""
    return raw.isascii() and raw.isdecimal() and len(raw) < 19


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not _whole_number(raw):
            raise NotFound(_("Invalid page: give a page number from 1."))
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        """A page size that is not a positive integer is a 400 naming the parameter; above 1000 means 1000."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _whole_number(raw) or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number from 1 to 1000.")]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Results per page (default {self.page_size}, at most {self.max_page_size})."
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
