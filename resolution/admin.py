from django.contrib import admin

from resolution.models import MatchDecision, ReviewPair


@admin.register(MatchDecision)
class MatchDecisionAdmin(admin.ModelAdmin):
    list_display = ("identity_a", "identity_b", "same", "decided_by", "decided_at")
    list_filter = ("same",)


@admin.register(ReviewPair)
class ReviewPairAdmin(admin.ModelAdmin):
    list_display = ("record_a", "record_b", "probability", "status")
    list_filter = ("status",)
    raw_id_fields = ("record_a", "record_b", "decided_by")
