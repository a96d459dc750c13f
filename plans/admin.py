from django.contrib import admin

from plans.models import Plan, Task, TaskUpdate


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title", "assembly", "state", "task_count", "created_at"]
    raw_id_fields = ["proposal", "assembly", "owner", "contributes_to", "created_by"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "owner_group", "status", "progress", "due_on"]
    raw_id_fields = ["plan", "owner_group", "created_by"]


@admin.register(TaskUpdate)
class TaskUpdateAdmin(admin.ModelAdmin):
    list_display = ["task", "status", "progress", "created_at"]
    raw_id_fields = ["task", "author", "group"]
