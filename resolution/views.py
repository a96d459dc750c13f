"""Review queue, side-by-side pairs, and merging or splitting an organization's records."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from directory.models import Organization
from resolution.forms import DecideForm, MergeForm, SplitForm
from resolution.models import ReviewStatus
from resolution.permissions import can_merge, merge_needs_second
from resolution.selectors import (
    explanation_rows,
    get_organization_to_resolve,
    get_review_pair_for_user,
    last_run,
    merged_from,
    pair_rows,
    pair_score,
    review_pairs_for_user,
    with_refusals,
)
from resolution.services import current_model, organizations_merge, pair_decide, records_split
from sources.models import SourceRecord

PER_PAGE = 50
_BOTH = gettext_lazy(
    "You coordinate only one of these two organizations. A coordinator of both places or a "
    "site coordinator can do this."
)


_SECOND = gettext_lazy(
    "A group's own admins run one of these listings: a second coordinator must confirm this "
    "merge before it happens."
)


def _ask_second_url(keep: Organization, other: Organization) -> str:
    # The page where a coordinator asks for the merge; a second one confirms it there.
    return reverse("vouching:merge_request") + "?" + urlencode({"keep": keep.pk, "other": other.pk})


def _prior() -> float:
    # Where every pair's score starts: the model's chance that two random listings are one
    # group, read from the model file (no splink in a web process).
    return float(current_model().get("probability_two_random_records_match", 0.0))


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status not in ReviewStatus.values:
        status = ReviewStatus.OPEN
    pairs = review_pairs_for_user(request.user, status=status)
    return render(
        request,
        "resolution/queue.html",
        {
            "pairs": with_refusals(request.user, list(pairs[:PER_PAGE])),
            "total": pairs.count(),
            "run": last_run(),
            "status": status,
            "statuses": ReviewStatus.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_review_pair_for_user(request.user, pk, write=request.method == "POST")
    form = DecideForm(request.POST or None)
    if request.method == "POST":
        if pair.status != ReviewStatus.OPEN:
            return HttpResponse("This pair has already been decided.", status=409)
        if form.is_valid():
            same = form.cleaned_data["decision"] == "same"
            a, b = pair.record_a.organization, pair.record_b.organization
            if same and a and b and merge_needs_second(request.user, a, b):
                messages.error(request, str(_SECOND))
                return redirect(_ask_second_url(a, b))
            pair_decide(pair=pair, same=same, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(
                request,
                _("Merged into one organization.") if same else _("Kept apart as two groups."),
            )
            return redirect("resolution:queue")
    status = 400 if form.errors else 200
    return render(
        request,
        "resolution/pair.html",
        {
            "pair": pair,
            "rows": pair_rows(pair),
            "explanation": explanation_rows(pair.explanation),
            "score": pair_score(pair, _prior()),
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_records(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_to_resolve(request.user, pk)
    records = merged_from(org)
    choices = [
        (m.record.pk, f"{m.record.source.name} #{m.record.record_key}: {m.record.name}")
        for m in records
    ]
    split_form = SplitForm(
        request.POST if request.POST.get("action") == "split" else None, record_choices=choices
    )
    merge_form = MergeForm(request.POST if request.POST.get("action") == "merge" else None)
    refused = False
    ask_second = None
    if request.method == "POST":
        if request.POST.get("action") == "split" and split_form.is_valid():
            chosen = list(
                SourceRecord.objects.filter(
                    pk__in=split_form.cleaned_data["records"], organization=org
                )
            )
            try:
                new_org = records_split(
                    records=chosen, by=request.user, reason=split_form.cleaned_data["reason"]
                )
            except ValueError as exc:
                split_form.add_error("records", str(exc))
            except PermissionDenied:
                # Splitting gives records back to the organization they were merged from,
                # which may lie outside the user's places.
                split_form.add_error("records", str(_BOTH))
                refused = True
            else:
                messages.success(request, f"Split off into “{new_org.name}”.")
                return redirect("resolution:organization", pk=org.pk)
        elif request.POST.get("action") == "merge" and merge_form.is_valid():
            other = merge_form.cleaned_data["other"]
            if not can_merge(request.user, org, other):
                merge_form.add_error("other", str(_BOTH))
                refused = True
            elif merge_needs_second(request.user, org, other):
                merge_form.add_error("other", str(_SECOND))
                ask_second = other
                refused = True
            else:
                try:
                    organizations_merge(
                        keep=org,
                        other=other,
                        by=request.user,
                        reason=merge_form.cleaned_data["reason"],
                    )
                except ValueError as exc:
                    merge_form.add_error("other", str(exc))
                else:
                    messages.success(request, f"Merged “{other.name}” into this organization.")
                    return redirect("resolution:organization", pk=org.pk)
        elif request.POST.get("action") not in ("split", "merge"):
            return HttpResponse("Choose to split or to merge.", status=400)
    bad = request.method == "POST"
    return render(
        request,
        "resolution/organization.html",
        {
            "org": org,
            "records": records,
            "split_form": split_form,
            "merge_form": merge_form,
            "ask_second": _ask_second_url(org, ask_second) if ask_second else "",
        },
        status=403 if refused else 400 if bad else 200,
    )
