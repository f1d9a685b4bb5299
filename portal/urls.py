"""Client self-service pages, included from firmportal/portal_urls.py (names under `portal:`)."""

from django.urls import path

from portal import books_views, documents_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("access-history/", views.access_history, name="access-history"),
    path("commitment/", views.commitment, name="commitment"),
    path("security/", views.security, name="security"),
    path("books/", books_views.books_index, name="books"),
    path("books/balance-sheet/", books_views.balance_sheet, name="books-balance-sheet"),
    path("books/income-statement/", books_views.income_statement, name="books-income-statement"),
    path("books/trial-balance/", books_views.trial_balance, name="books-trial-balance"),
    path("books/vouchers/", books_views.voucher_list, name="books-vouchers"),
    path("books/vouchers/<uuid:voucher_id>/", books_views.voucher_detail, name="books-voucher-detail"),
    path(
        "books/vouchers/<uuid:voucher_id>/documents/<uuid:document_id>/",
        books_views.voucher_document_download,
        name="voucher-document-download",
    ),
    path("documents/", documents_views.documents_page, name="documents"),
    path("documents/upload/", documents_views.documents_upload, name="documents-upload"),
    path("documents/<uuid:document_id>/download/", documents_views.document_download, name="document-download"),
]
