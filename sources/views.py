from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sources import selectors, services
from sources.forms import ImportUploadForm, MappingForm
from sources.models import ImportRun, RunStatus
from sources.services.liveness import cancel_requested


@require_GET
def source_list(request: HttpRequest) -> HttpResponse:
    sources = selectors.sources_for_user(request.user)
    runs = ImportRun.objects.select_related("source").order_by("-created_at", "-id")[:50]
    return render(request, "sources/list.html", {"sources": sources, "runs": runs})


@require_GET
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = selectors.get_source_for_user(request.user, slug)
    runs = source.runs.order_by("-created_at", "-id")
    records = source.records.select_related("organization").defer("raw")
    page = Paginator(records.order_by("record_key", "pk"), 100).get_page(request.GET.get("page"))
    return render(
        request, "sources/source.html", {"source": source, "runs": runs[:50], "page": page}
    )


@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    selectors.sources_for_user(request.user)  # refuses everyone but coordinators
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = services.import_upload(
            user=request.user,
            source_name=data["source_name"],
            upload=data["file"],
            fmt=data["format"],
            mapping=data["mapping"],
        )
        return redirect("sources:run", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "sources/import.html", {"form": form}, status=status)


def _run_context(run: ImportRun) -> dict[str, Any]:
    done, total = services.run_progress(run)
    preview = run.preview or {}
    mapping_form = None
    if run.status == RunStatus.PENDING and preview.get("headers"):
        mapping_form = MappingForm(
            headers=preview["headers"], initial_mapping=preview.get("mapping", {})
        )
    return {
        "run": run,
        "preview": preview,
        "done": done,
        "total": total,
        "percent": min(100, int(100 * done / total)) if total else None,
        "mapping_form": mapping_form,
        "polling": run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        or (run.status == RunStatus.PENDING and not preview.get("ready")),
        "cancelling": run.status == RunStatus.RUNNING and cancel_requested(run.pk),
    }


@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_run_for_user(request.user, pk)
    # A run whose process is gone would otherwise show its spinner for ever.
    services.import_run_reap(run=run)
    return render(request, "sources/run.html", _run_context(run))


@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the run page that HTMX refreshes while the preview or the import runs."""
    run = selectors.get_run_for_user(request.user, pk)
    services.import_run_reap(run=run)
    return render(request, "sources/_run_status.html", _run_context(run))


def _run_step(request: HttpRequest, pk: int, step: Callable[..., Any]) -> HttpResponse:
    """Confirm or cancel a run; a step the run's state no longer allows is shown on its page."""
    run = selectors.get_run_for_user(request.user, pk, write=True)
    try:
        step(user=request.user, run=run)
    except ValidationError as exc:
        return render(
            request,
            "sources/run.html",
            {**_run_context(run), "error": "; ".join(exc.messages)},
            status=409,
        )
    return redirect("sources:run", pk=run.pk)


@require_POST
def run_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, services.import_run_confirm)


@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, services.import_run_cancel)


@require_POST
def run_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, services.import_run_undo)


@require_POST
def run_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_run_for_user(request.user, pk, write=True)
    preview = run.preview or {}
    form = MappingForm(
        request.POST, headers=preview.get("headers", []), initial_mapping=preview.get("mapping", {})
    )
    if not form.is_valid():
        context = {**_run_context(run), "mapping_form": form}
        return render(request, "sources/run.html", context, status=400)
    try:
        services.import_run_remap(user=request.user, run=run, mapping=form.mapping())
    except ValidationError as exc:
        return render(
            request,
            "sources/run.html",
            {**_run_context(run), "error": "; ".join(exc.messages)},
            status=409,
        )
    return redirect("sources:run", pk=run.pk)


@require_POST
def source_delete(request: HttpRequest, slug: str) -> HttpResponse:
    source = selectors.get_source_for_user(request.user, slug)
    try:
        services.source_delete(user=request.user, source=source)
    except ValidationError as exc:
        runs = source.runs.order_by("-created_at", "-id")
        page = Paginator(source.records.order_by("record_key", "pk"), 100).get_page(1)
        context = {"source": source, "runs": runs[:50], "page": page}
        return render(
            request,
            "sources/source.html",
            {**context, "error": "; ".join(exc.messages)},
            status=409,
        )
    return redirect("sources:list")
