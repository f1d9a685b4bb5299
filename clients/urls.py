"""/staff/clients/...: the books of the clients this staff member is assigned to."""

from django.urls import path

from clients import document_views, employee_views, views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("review/", views.review_queue, name="review-queue"),
    path("<uuid:client_id>/", views.client_overview, name="overview"),
    path("<uuid:client_id>/vouchers/", views.voucher_list, name="voucher-list"),
    path("<uuid:client_id>/vouchers/new/", views.voucher_create, name="voucher-create"),
    path("<uuid:client_id>/vouchers/import/", views.voucher_import, name="voucher-import"),
    path("<uuid:client_id>/vouchers/import/template.xlsx", views.import_template, name="import-template"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/", views.voucher_detail, name="voucher-detail"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/edit/", views.voucher_edit, name="voucher-edit"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/review/", views.voucher_review, name="voucher-review"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/post/", views.voucher_post, name="voucher-post"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/return/", views.voucher_return, name="voucher-return"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/reverse/", views.voucher_reverse, name="voucher-reverse"),
    path("<uuid:client_id>/vouchers/<uuid:voucher_id>/delete/", views.voucher_delete, name="voucher-delete"),
    path("<uuid:client_id>/accounts/search/", views.account_search, name="account-search"),
    path("<uuid:client_id>/periods/<uuid:period_id>/close/", views.period_close, name="period-close"),
    path("<uuid:client_id>/periods/<uuid:period_id>/reopen/", views.period_reopen, name="period-reopen"),
    path("<uuid:client_id>/reports/", views.reports_index, name="reports"),
    path("<uuid:client_id>/reports/trial-balance/", views.trial_balance, name="trial-balance"),
    path("<uuid:client_id>/reports/general-ledger/", views.general_ledger, name="general-ledger"),
    path("<uuid:client_id>/reports/subsidiary-ledger/", views.subsidiary_ledger, name="subsidiary-ledger"),
    path("<uuid:client_id>/reports/balance-sheet/", views.balance_sheet, name="balance-sheet"),
    path("<uuid:client_id>/reports/income-statement/", views.income_statement, name="income-statement"),
    # Employees for payroll
    path("<uuid:client_id>/employees/", employee_views.employee_list, name="employees"),
    path("<uuid:client_id>/employees/add/", employee_views.employee_add, name="employee-add"),
    path(
        "<uuid:client_id>/employees/<uuid:employee_id>/remove/",
        employee_views.employee_remove,
        name="employee-remove",
    ),
    # Documents (portal-docs slice)
    path("<uuid:client_id>/documents/", document_views.document_list, name="documents"),
    path("<uuid:client_id>/documents/upload/", document_views.document_upload, name="document-upload"),
    path(
        "<uuid:client_id>/documents/<uuid:document_id>/download/",
        document_views.document_download,
        name="document-download",
    ),
    path("<uuid:client_id>/documents/<uuid:document_id>/book/", document_views.document_book, name="document-book"),
    path("<uuid:client_id>/documents/<uuid:document_id>/share/", document_views.document_share, name="document-share"),
    path(
        "<uuid:client_id>/documents/<uuid:document_id>/reject/", document_views.document_reject, name="document-reject"
    ),
    path(
        "<uuid:client_id>/vouchers/<uuid:voucher_id>/documents/link/",
        document_views.voucher_document_link,
        name="voucher-document-link",
    ),
    path(
        "<uuid:client_id>/documents/requests/new/",
        document_views.document_request_create,
        name="document-request-create",
    ),
    path(
        "<uuid:client_id>/documents/requests/<uuid:request_id>/cancel/",
        document_views.document_request_cancel,
        name="document-request-cancel",
    ),
]
