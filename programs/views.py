"""Vision and program pages: the widest-endorsed planks, a plank with its endorsements on a map
and rolled up by place, a coalition's program, its vision, and the forms that put sections,
planks and endorsements to an assembly."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assemblies import permissions
from assemblies import selectors as assembly_selectors
from coalitions.models import CoalitionLevel
from commonweal.forms import errors_into
from places.models import Place
from plans import selectors as plan_selectors
from programs import selectors, services
from programs.forms import EndorseForm, PlaceFilterForm, PlankForm, SectionAmendForm, SectionForm
from programs.models import Plank, SectionStatus


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The planks with the widest endorsement, everywhere or in a place."""
    form = PlaceFilterForm(request.GET, user=request.user)
    place = form.cleaned_data["place"] if form.is_valid() else None
    ranked = selectors.widest(place) if not form.errors else []
    context = {
        "form": form,
        "place": place,
        "ranked": ranked,
        "recent": [] if ranked or place else selectors.recent_planks(),
    }
    return render(request, "programs/index.html", context, status=400 if form.errors else 200)


def _progress_rows(item: Plank) -> list[dict[str, object]]:
    """The plank's plans, per level and for all levels, with a label people can read: a plan
    made from any decision behind the plank (its adoption or an endorsement) is its plan."""
    labels = {**dict(CoalitionLevel.choices), "group": _("Groups"), "all": _("All levels")}
    return [
        {"row": row, "label": labels.get(row.level, row.level)}
        for row in plan_selectors.progress_by_level(
            selectors.plank_decisions(item).values_list("pk", flat=True)
        )
    ]


@require_GET
def plank(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_plank_for_user(request.user, pk)
    scope = None
    if request.GET.get("in"):
        scope = get_object_or_404(Place, slug=request.GET["in"][:120])
    assemblies = selectors.assemblies_to_endorse_in(request.user, item)
    context = {
        "plank": item,
        "withdrawn": selectors.withdrawn(item),
        "rollup": selectors.rollup(item, scope),
        "endorsers": selectors.endorsers(item),
        "points": selectors.map_points(item),
        "motions": selectors.motions_in_progress(item),
        "endorse_form": EndorseForm(assemblies=assemblies) if assemblies else None,
        # The first of them; each endorsing assembly's own decision is also in its list.
        "decisions": list(selectors.plank_decisions(item)[: selectors.ENDORSERS_SHOWN]),
        "progress": _progress_rows(item),
    }
    return render(request, "programs/plank.html", context)


@require_POST
@login_required
def plank_endorse(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_plank_for_user(request.user, pk)
    form = EndorseForm(
        request.POST, assemblies=selectors.assemblies_to_endorse_in(request.user, item)
    )
    if not form.is_valid():
        raise PermissionDenied(_("You take part in no assembly that can endorse this plank."))
    try:
        motion = services.plank_endorsement_propose(
            user=request.user, plank=item, assembly=form.cleaned_data["assembly"]
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("programs:plank", item.pk)
    messages.success(
        request,
        _("The endorsement is proposed; the assembly of %(name)s decides it.")
        % {"name": motion.assembly},
    )
    return redirect("assemblies:proposal", motion.proposal_id)


@require_GET
def program(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = assembly_selectors.get_assembly_for_user(request.user, slug)
    context = {
        "assembly": assembly,
        "is_participant": permissions.is_participant(request.user, assembly),
        **selectors.program(assembly),
    }
    return render(request, "programs/program.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def plank_new(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = assembly_selectors.get_assembly_for_user(request.user, slug)
    permissions.require_participant(request.user, assembly)
    form = PlankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.plank_propose(user=request.user, assembly=assembly, **form.cleaned_data)
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("The plank is proposed to the assembly."))
            return redirect("programs:plank", item.pk)
    return render(
        request,
        "programs/plank_new.html",
        {"form": form, "assembly": assembly},
        status=400 if form.errors else 200,
    )


@require_GET
def vision(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = assembly_selectors.get_assembly_for_user(request.user, slug)
    context = {
        "assembly": assembly,
        "is_participant": permissions.is_participant(request.user, assembly),
        **selectors.vision(assembly),
    }
    return render(request, "programs/vision.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def section_new(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = assembly_selectors.get_assembly_for_user(request.user, slug)
    permissions.require_participant(request.user, assembly)
    form = SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            section = services.vision_section_draft(
                user=request.user, assembly=assembly, **form.cleaned_data
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("The section is proposed to the assembly."))
            return redirect("assemblies:proposal", section.changes.get().proposal_id)
    return render(
        request,
        "programs/section_form.html",
        {"form": form, "assembly": assembly, "section": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def section_amend(request: HttpRequest, pk: int) -> HttpResponse:
    section = selectors.get_section_for_user(request.user, pk)
    permissions.require_participant(request.user, section.assembly)
    if section.status != SectionStatus.ADOPTED:
        raise PermissionDenied(_("Only an adopted section is amended here."))
    form = SectionAmendForm(request.POST or None, initial={"text": section.text})
    if request.method == "POST" and form.is_valid():
        try:
            change = services.vision_section_amend(
                user=request.user, section=section, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("The amendment is proposed to the assembly."))
            return redirect("assemblies:proposal", change.proposal_id)
    return render(
        request,
        "programs/section_form.html",
        {"form": form, "assembly": section.assembly, "section": section},
        status=400 if form.errors else 200,
    )
