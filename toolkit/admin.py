"""What the admin pages of several apps share. (Registers nothing: each app registers its own.)"""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the application writes itself (a history, a work queue): supervisors read them,
    nobody adds, changes or deletes one by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
