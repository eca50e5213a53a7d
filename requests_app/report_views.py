"""Staff reports on requests: CCPA § 7102 metrics and the yearly accountability report.

Under /admin/reports/ (admin login); Officers, Analysts and Auditors may read
them (permission ``requests_app.view_reports``), Support may not.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from privacyportal import csvsafe
from requests_app import reports
from requests_app.reports import DENIAL_SPLIT, Row, shown

REPORTS = {
    "ccpa": "CCPA § 7102 metrics",
    "accountability": "Yearly requests report (GDPR accountability)",
}
SCOPES = [("US-CA", "California residents"), ("", "Every requester")]


class ReportForm(forms.Form):
    report = forms.ChoiceField(choices=list(REPORTS.items()), initial="ccpa")
    year = forms.IntegerField(min_value=2000, label="Calendar year")
    scope = forms.ChoiceField(
        choices=SCOPES, required=False, label="Requests from (CCPA only)"
    )
    publishable = forms.BooleanField(
        required=False,
        label="For publication (hide counts below 5)",
    )

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise forms.ValidationError("Choose this year or an earlier one.")
        return year


def _defaults(request: HttpRequest) -> dict:
    last_year = timezone.localdate().year - 1
    return {"report": "ccpa", "year": last_year, "scope": "US-CA", **request.GET.dict()}


def reports_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("requests_app.view_reports"):
        raise PermissionDenied
    form = ReportForm(_defaults(request))
    context = {**admin.site.each_context(request), "title": "Reports", "form": form}
    if not form.is_valid():
        return TemplateResponse(request, "requests/admin/reports.html", context)
    table = build_table(form.cleaned_data)
    if request.GET.get("format") == "csv":
        return _csv(table)
    context["table"] = table
    template = "requests/admin/reports_print.html"
    if request.GET.get("print") != "1":
        template = "requests/admin/reports.html"
    return TemplateResponse(request, template, context)


def build_table(options: dict) -> dict:
    """Rows of words and figures, the same for the page, the print and the CSV."""
    publishable, kind = options["publishable"], options["report"]
    if kind == "ccpa":
        rows, total = reports.ccpa_7102(options["year"], options["scope"] or "")
        first = "Kind of request"
    else:
        rows, total = reports.accountability(options["year"])
        first = "Where the requester lives"
    scope = dict(SCOPES).get(options["scope"] or "", "") if kind == "ccpa" else ""
    header = [
        first,
        "Received",
        "Complied with in whole or in part",
        "Denied",
        *[f"Denied: {label}" for _, label in DENIAL_SPLIT],
        "Withdrawn or still open",
        "Extended",
        "Answered on time (%)",
        "Median days to respond",
        "Mean days to respond",
    ]
    cells = [_cells(r, publishable) for r in [*rows, total]]
    extras = (
        [
            (label, shown(n, publishable=publishable))
            for label, n in reports.yearly_extras(options["year"])
        ]
        if kind == "accountability"
        else []
    )
    return {
        "extras": extras,
        "title": f"{REPORTS[kind]}, {options['year']}",
        "scope": scope,
        "publishable": publishable,
        "header": header,
        "rows": cells,
        "shown": _for_screen(kind, header, cells),
    }


# The accountability report's columns on screen (the CSV has every column).
COMPACT = (0, 1, 2, 3, 8, 9, 10, 11)


def _for_screen(kind: str, header: list[str], cells: list[list[str]]) -> dict:
    """A table that fits a 1280 px screen.

    § 7102 has five kinds and thirteen figures: kinds become the columns.
    The accountability report has a row per jurisdiction: it keeps the
    figures a reader compares and leaves the denial split to the CSV.
    """
    if kind == "ccpa":
        return {
            "header": ["Figure", *[row[0] for row in cells]],
            "rows": [
                [label, *[row[i] for row in cells]]
                for i, label in enumerate(header[1:], start=1)
            ],
            "total_last": False,
        }
    return {
        "header": [header[i] for i in COMPACT],
        "rows": [[row[i] for i in COMPACT] for row in cells],
        "total_last": True,
    }


def _cells(row: Row, publishable: bool) -> list[str]:
    def count(value: int) -> str:
        return shown(value, publishable=publishable)

    def figure(value: float | None) -> str:
        return shown(value, publishable=publishable, count=False)

    # Rates and times from fewer than 5 answers would identify people too.
    few = publishable and row.responded < reports.SMALL
    return [
        row.label,
        count(row.received),
        count(row.complied),
        count(row.denied),
        *[count(row.denied_by.get(key, 0)) for key, _ in DENIAL_SPLIT],
        count(row.withdrawn_or_open),
        count(row.extended),
        "—" if few else figure(row.on_time_rate),
        "—" if few else figure(row.median_days),
        "—" if few else figure(row.mean_days),
    ]


def _csv(table: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = table["title"].lower().replace(" ", "-").replace("§", "section")
    name = "".join(c for c in name if c.isalnum() or c in "-_,")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csvsafe.writer(response)
    writer.writerow(table["header"])
    writer.writerows(table["rows"])
    if table["extras"]:
        writer.writerow([])
        writer.writerows([label, value] for label, value in table["extras"])
    return response
