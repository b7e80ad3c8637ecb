"""Settings → Accounts: the connected Instagram / Facebook Page / Pinterest accounts, and connecting more.

Why a dialog with injected collaborators: connecting is a browser round trip that can take minutes,
so it runs in a `WorkerBridge` job with a Cancel button and the GUI never waits on it; the registry,
the connect job and every question the dialog asks (app credentials, passphrase, confirm, new name)
are constructor arguments so tests drive the whole dialog without a browser, a modal box or a keyring.

Tokens are never shown: the list shows names, platform details and the sandbox flag only.
When there is no usable keyring (`SecretsUnavailable`) the dialog says so plainly and offers the
opt-in encrypted secrets file (passphrase prompt) instead of silently storing anything.
"""

from __future__ import annotations

import contextlib
import html
import threading
import webbrowser
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import Cancelled, StudioError
from studio.core.progress import CancelToken, ProgressFn
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.errors import AuthorizationFailed, SecretsUnavailable
from studio.publish.secrets import SecretStore
from studio.ui.workers import Job, WorkerBridge

PLATFORM_ORDER = ("instagram", "facebook", "pinterest")
PLATFORM_LABELS = {
    "instagram": "Instagram",
    "facebook": "Facebook Page",
    "pinterest": "Pinterest",
    "instagram_login": "Instagram (Instagram Login)",
}
ACCOUNT_ID_ROLE = Qt.ItemDataRole.UserRole + 1

#: Where users create the app whose id/secret they bring (shown in the credentials prompt).
APP_HELP = {
    "facebook": (
        "Instagram and Facebook Pages use one Meta app. Create it at developers.facebook.com → My Apps "
        "(type Business), add Facebook Login, then copy App ID and App Secret from App settings → Basic. "
        "Add http://127.0.0.1/ as a valid OAuth redirect URI.",
        "https://developers.facebook.com/apps/",
    ),
    "instagram_login": (
        "Instagram Login needs no Facebook Page (but cannot tag products). In your Meta app at "
        "developers.facebook.com add the Instagram product (API setup with Instagram login), then copy "
        "the Instagram app ID and Instagram app secret shown there, and add http://127.0.0.1/ as a "
        "redirect URL under Business login settings.",
        "https://developers.facebook.com/apps/",
    ),
    "pinterest": (
        "Create an app at developers.pinterest.com → My apps, then copy the App id and App secret key. "
        "Add http://127.0.0.1/ as a redirect URI. Trial-access apps can only publish to the sandbox.",
        "https://developers.pinterest.com/apps/",
    ),
}


class Connector(Protocol):
    """The connect job: runs the OAuth flow, registers the accounts found, returns them."""

    def __call__(
        self,
        registry: AccountRegistry,
        platform: str,
        client_id: str,
        client_secret: str,
        *,
        sandbox: bool,
        progress: ProgressFn,
        cancel: CancelToken,
    ) -> list[Account]: ...


# --- the default connect job -----------------------------------


def _cancellable_opener(
    open_browser: Callable[[str], Any], cancel: CancelToken, done: threading.Event
) -> Callable[[str], Any]:
    """Wrap the browser opener so Cancel ends the wait at once.

    `authorize()` blocks on its loopback receiver; the only clean way to end that wait early is the
    redirect itself, so on cancel we answer our own receiver with `error=cancelled` (no code, so
    nothing can be exchanged) and `authorize()` returns with `AuthorizationFailed`.
    """

    def opener(url: str) -> Any:
        redirect = dict(parse_qsl(urlsplit(url).query)).get("redirect_uri", "")

        def watch() -> None:
            import requests

            while not done.wait(0.05):
                if cancel.cancelled and redirect:
                    query = urlencode({"error": "cancelled", "error_description": "cancelled in the app"})
                    with contextlib.suppress(requests.RequestException):
                        requests.get(f"{redirect}?{query}", timeout=5)
                    return

        threading.Thread(target=watch, name="oauth-cancel", daemon=True).start()
        return open_browser(url)

    return opener


def connect_account(
    registry: AccountRegistry,
    platform: str,
    client_id: str,
    client_secret: str,
    *,
    sandbox: bool = False,
    progress: ProgressFn,
    cancel: CancelToken,
    open_browser: Callable[[str], Any] = webbrowser.open,
) -> list[Account]:
    """`studio.jobs.publish.connect_accounts` (OAuth + discovery + registry), made cancellable.

    The job itself lives in the jobs layer (the CLI uses it too); this wrapper only adds what the
    GUI needs: a progress message and Cancel ending the browser wait at once (`Cancelled`).
    """
    from studio.jobs.publish import connect_accounts  # lazy: the publish stack is big

    progress(0, 1, "Waiting for the sign-in in your browser…")
    done = threading.Event()
    try:
        accounts = connect_accounts(
            platform,
            registry,
            client_id=client_id,
            client_secret=client_secret,
            open_browser=_cancellable_opener(open_browser, cancel, done),
            sandbox=sandbox,
        )
    except AuthorizationFailed:
        if cancel.cancelled:
            raise Cancelled() from None
        raise
    finally:
        done.set()
    progress(1, 1, "Connected")
    return accounts


def open_registry(
    *, passphrase: str | None = None, prefer_file: bool = False
) -> tuple[AccountRegistry | None, SecretsUnavailable | None]:
    """The app's registry over the OS keyring (or the encrypted file), or the reason there is none."""
    try:
        store = SecretStore.open(passphrase=passphrase, prefer_file=prefer_file)
    except SecretsUnavailable as exc:
        return None, exc
    return AccountRegistry(store), None


# --- prompts ----------------------------------------------------------------------------------------


class AppCredentialsDialog(QDialog):
    """Asks once for the user's own app id/secret, with where to get them."""

    def __init__(self, platform: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        app = "facebook" if platform in ("instagram", "facebook") else platform
        titles = {"facebook": "Meta app", "instagram_login": "Instagram app (Instagram Login)"}
        self.setWindowTitle(titles.get(app, "Pinterest app"))
        text, link = APP_HELP[app]
        help_label = QLabel(f"{text}<br><a href='{link}'>{link}</a>")
        help_label.setWordWrap(True)
        help_label.setOpenExternalLinks(True)
        help_label.setTextFormat(Qt.TextFormat.RichText)
        self.client_id = QLineEdit()
        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("App id", self.client_id)
        form.addRow("App secret", self.client_secret)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> tuple[str, str] | None:
        cid, secret = self.client_id.text().strip(), self.client_secret.text().strip()
        return (cid, secret) if cid and secret else None


def ask_app_credentials(parent: QWidget, platform: str) -> tuple[str, str] | None:
    dialog = AppCredentialsDialog(platform, parent)
    return dialog.values() if dialog.exec() else None


def ask_passphrase(parent: QWidget) -> str | None:
    text, ok = QInputDialog.getText(
        parent,
        "Encrypted secrets file",
        "Passphrase for the encrypted secrets file (needed each time the app starts):",
        QLineEdit.EchoMode.Password,
    )
    return text if ok and text else None


def ask_confirm(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(parent, "Disconnect account", text)
    return answer == QMessageBox.StandardButton.Yes


def ask_name(parent: QWidget, current: str) -> str | None:
    text, ok = QInputDialog.getText(parent, "Rename account", "Name:", QLineEdit.EchoMode.Normal, current)
    return text.strip() if ok and text.strip() else None


# --- the dialog -------------------------------------------------------------------------------------


class AccountsDialog(QDialog):
    """See module doc. `accountsChanged` fires after every connect, rename and disconnect."""

    accountsChanged = Signal()
    reconnected = Signal(str)  # account name whose login was renewed

    def __init__(
        self,
        registry: AccountRegistry | None,
        bridge: WorkerBridge,
        *,
        unavailable: SecretsUnavailable | None = None,
        open_encrypted: Callable[[str], AccountRegistry] | None = None,
        connector: Connector = connect_account,
        ask_credentials: Callable[[QWidget, str], tuple[str, str] | None] = ask_app_credentials,
        ask_passphrase: Callable[[QWidget], str | None] = ask_passphrase,
        confirm: Callable[[QWidget, str], bool] = ask_confirm,
        ask_name: Callable[[QWidget, str], str | None] = ask_name,
        needs_reconnect: set[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accounts")
        # Names of accounts whose login the platforms refused (expired/revoked token): marked in the
        # list, and reconnecting one removes it (the main window then re-queues the waiting jobs).
        self.needs_reconnect: set[str] = set(needs_reconnect or ())
        self._reconnecting: str | None = None
        self.resize(560, 420)
        self.registry = registry
        self.bridge = bridge
        self.connector = connector
        self._open_encrypted = open_encrypted or (
            lambda p: AccountRegistry(SecretStore.open(passphrase=p, prefer_file=True))
        )
        self._ask_credentials = ask_credentials
        self._ask_passphrase = ask_passphrase
        self._confirm = confirm
        self._ask_name = ask_name
        self.job: Job | None = None
        self._build()
        if registry is None:
            self._show_unavailable(unavailable or SecretsUnavailable("No usable keyring was found."))
        self.refresh()

    def _build(self) -> None:
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff3e0; padding: 6px;")
        self.banner.hide()
        self.use_file_button = QPushButton("Store secrets in an encrypted file…")
        self.use_file_button.hide()
        self.use_file_button.clicked.connect(self.use_encrypted_file)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Account", "Details"])
        self.tree.setRootIsDecorated(True)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())

        self.platform_box = QComboBox()
        for platform in PLATFORM_ORDER:
            self.platform_box.addItem(PLATFORM_LABELS[platform], platform)
            if platform == "instagram":  # no Facebook Page needed, but no product tags
                self.platform_box.addItem("Instagram (Instagram Login, no product tags)", "instagram_login")
        self.platform_box.currentIndexChanged.connect(lambda *_: self._update_buttons())
        self.sandbox_box = QCheckBox("Pinterest sandbox")
        self.sandbox_box.setToolTip("Trial-access Pinterest apps can only create pins on the sandbox")
        self.connect_button = QPushButton("Connect…")
        self.connect_button.clicked.connect(self.start_connect)
        self.reconnect_button = QPushButton("Reconnect…")
        self.reconnect_button.setToolTip("Sign in again to renew an expired or revoked login")
        self.reconnect_button.clicked.connect(self.reconnect_selected)
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(self.rename_selected)
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.clicked.connect(self.disconnect_selected)
        self.media_host_button = QPushButton("Media hosting…")
        self.media_host_button.setToolTip("The S3-compatible bucket that hosts Instagram images")
        self.media_host_button.clicked.connect(self.open_media_host)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_connect)

        row = QHBoxLayout()
        row.addWidget(self.platform_box)
        row.addWidget(self.sandbox_box)
        row.addWidget(self.connect_button)
        row.addStretch(1)
        row.addWidget(self.reconnect_button)
        row.addWidget(self.rename_button)
        row.addWidget(self.disconnect_button)
        row.addWidget(self.media_host_button)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.cancel_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.use_file_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        layout.addLayout(status_row)
        layout.addWidget(close)

    # --- reading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the registry into the tree (platform → accounts)."""
        selected = self.selected_account_id()
        self.tree.clear()
        accounts: list[Account] = []
        if self.registry is not None:
            try:
                accounts = self.registry.list()
            except StudioError as exc:
                self._set_status(exc.message(), error=True)
        for platform in PLATFORM_ORDER:
            mine = [a for a in accounts if a.platform == platform]
            top = QTreeWidgetItem([PLATFORM_LABELS[platform], f"{len(mine)} connected" if mine else "none"])
            self.tree.addTopLevelItem(top)
            for account in mine:
                details = self.details(account)
                if account.name in self.needs_reconnect:
                    details = "⚠ login expired or revoked: Reconnect · " + details
                item = QTreeWidgetItem([account.name, details])
                item.setData(0, ACCOUNT_ID_ROLE, account.id)
                if account.name in self.needs_reconnect:
                    item.setForeground(1, QColor("#d32f2f"))
                top.addChild(item)
                if account.id == selected:
                    self.tree.setCurrentItem(item)
            top.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        self._update_buttons()

    @staticmethod
    def details(account: Account) -> str:
        """What the list says about an account: never a token."""
        parts: list[str] = []
        username = account.extra.get("username")
        if username:
            parts.append(f"@{username}")
        if account.kind == "ig_login":
            parts.append("Instagram Login")
        if account.platform == "instagram":
            tags = account.extra.get("product_tag_eligible")
            parts.append("native product tags" if tags else "no product tags (labels/links instead)")
        if account.sandbox:
            parts.append("sandbox")
        return " · ".join(parts)

    def account_items(self) -> list[QTreeWidgetItem]:
        """The account rows (children of the platform rows), in list order."""
        out: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is None:
                continue
            for j in range(top.childCount()):
                child = top.child(j)
                if child is not None:
                    out.append(child)
        return out

    def account_names(self) -> list[str]:
        """The names shown, in list order."""
        return [item.text(0) for item in self.account_items()]

    def selected_account_id(self) -> str | None:
        item = self.tree.currentItem() if hasattr(self, "tree") else None
        value = item.data(0, ACCOUNT_ID_ROLE) if item is not None else None
        return str(value) if value else None

    def select_account(self, name_or_id: str) -> None:
        for child in self.account_items():
            if name_or_id in (child.text(0), child.data(0, ACCOUNT_ID_ROLE)):
                self.tree.setCurrentItem(child)
                return
        raise KeyError(name_or_id)

    def _update_buttons(self) -> None:
        busy = self.job is not None
        has_registry = self.registry is not None
        chosen = self.selected_account_id() is not None
        self.connect_button.setEnabled(has_registry and not busy)
        self.platform_box.setEnabled(not busy)
        self.sandbox_box.setEnabled(not busy and self.platform_box.currentData() == "pinterest")
        self.reconnect_button.setEnabled(has_registry and chosen and not busy)
        self.rename_button.setEnabled(has_registry and chosen and not busy)
        self.disconnect_button.setEnabled(has_registry and chosen and not busy)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #d32f2f;" if error else "")

    # --- keyring unavailable ----------------------------------------------------------------------

    def _show_unavailable(self, exc: SecretsUnavailable) -> None:
        self.registry = None
        self.banner.setText(
            f"<b>{html.escape(exc.what)}</b><br>Account logins are kept in the system keyring, and none "
            "is usable here. You can instead keep them in a file encrypted with a passphrase you choose "
            "(you type it each time the app starts)."
            + (f"<br><small>{html.escape(exc.hint)}</small>" if exc.hint else "")
        )
        self.banner.show()
        self.use_file_button.show()
        self._update_buttons()

    def use_encrypted_file(self) -> None:
        passphrase = self._ask_passphrase(self)
        if not passphrase:
            return
        try:
            self.registry = self._open_encrypted(passphrase)
        except SecretsUnavailable as exc:
            self._set_status(exc.message(), error=True)
            return
        self.banner.hide()
        self.use_file_button.hide()
        self._set_status(f"Secrets are kept in {self.registry.secrets.name}.")
        self.refresh()

    # --- gestures -----------------------------------------------------------------------------------

    def reconnect_selected(self) -> None:
        """Sign in again for the selected account (same platform and sandbox): new tokens, same entry."""
        if self.registry is None or self.job is not None:
            return
        account_id = self.selected_account_id()
        account = self.registry.find(account_id) if account_id else None
        if account is None:
            return
        wanted = "instagram_login" if account.kind == "ig_login" else account.platform
        index = self.platform_box.findData(wanted)
        if index >= 0:
            self.platform_box.setCurrentIndex(index)
        self.sandbox_box.setChecked(account.sandbox)
        self._reconnecting = account.name
        self.start_connect()
        if self.job is None:  # the user backed out of the credentials prompt
            self._reconnecting = None

    def start_connect(self) -> None:
        """Ask for the app credentials if needed, then run the connect job in a worker."""
        if self.registry is None or self.job is not None:
            return
        platform = str(self.platform_box.currentData())
        sandbox = platform == "pinterest" and self.sandbox_box.isChecked()
        try:
            creds = self.registry.secrets.app_credentials(platform)
            if creds is None:
                creds = self._ask_credentials(self, platform)
                if creds is None:
                    return
                self.registry.secrets.set_app_credentials(platform, *creds)
        except SecretsUnavailable as exc:
            self._show_unavailable(exc)
            return
        self._set_status(f"Sign in to {PLATFORM_LABELS[platform]} in the browser window that opens…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.job = self.bridge.submit(
            self.connector,
            self.registry,
            platform,
            creds[0],
            creds[1],
            sandbox=sandbox,
            label=f"Connect {PLATFORM_LABELS[platform]}",
            on_result=self._connected,
            on_error=self._connect_failed,
            on_progress=lambda _d, _t, message: self._set_status(message),
            on_cancelled=self._connect_cancelled,
        )
        self._update_buttons()

    def cancel_connect(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self._set_status("Cancelling…")

    def _job_done(self) -> None:
        self.job = None
        self.cancel_button.hide()
        self._update_buttons()

    def _connected(self, accounts: list[Account]) -> None:
        self._job_done()
        wanted, self._reconnecting = self._reconnecting, None
        names = ", ".join(a.name for a in accounts)
        renewed = [a.name for a in accounts if a.name in self.needs_reconnect]
        for name in renewed:
            self.needs_reconnect.discard(name)
        if wanted is not None and wanted not in {a.name for a in accounts}:
            # Signed in, but as someone else: the expired account still needs its own login.
            self._set_status(
                f"Connected: {names or 'no account'} — but not {wanted}. Sign in as {wanted} to renew it.",
                error=True,
            )
        else:
            self._set_status(f"Connected: {names}" if names else "No account was connected.")
        self.refresh()
        self.accountsChanged.emit()
        for name in renewed:
            self.reconnected.emit(name)

    def _connect_failed(self, error: StudioError) -> None:
        self._job_done()
        self._reconnecting = None
        if isinstance(error, SecretsUnavailable):
            self._show_unavailable(error)
        self._set_status(error.message(), error=True)

    def _connect_cancelled(self) -> None:
        self._job_done()
        self._reconnecting = None
        self._set_status("Connection cancelled.")

    def rename_selected(self) -> None:
        account_id = self.selected_account_id()
        if self.registry is None or account_id is None:
            return
        account = self.registry.find(account_id)
        if account is None:
            self.refresh()
            return
        new_name = self._ask_name(self, account.name)
        if not new_name or new_name == account.name:
            return
        try:
            self.registry.rename(account.id, new_name)
        except StudioError as exc:
            self._set_status(exc.message(), error=True)
            return
        self._set_status(f"Renamed to {new_name}.")
        self.refresh()
        self.accountsChanged.emit()

    def disconnect_selected(self) -> None:
        """Confirm, then remove the account and its secrets from this computer."""
        account_id = self.selected_account_id()
        if self.registry is None or account_id is None:
            return
        account = self.registry.find(account_id)
        if account is None:
            self.refresh()
            return
        if not self._confirm(
            self,
            f"Disconnect {account.name}? Its login is removed from this computer; posts already "
            "published stay online.",
        ):
            return
        try:
            self.registry.disconnect(account.id)
        except SecretsUnavailable as exc:
            self._show_unavailable(exc)
            return
        except StudioError as exc:
            self._set_status(exc.message(), error=True)
            return
        self._set_status(f"Disconnected {account.name}.")
        self.refresh()
        self.accountsChanged.emit()

    def open_media_host(self) -> None:
        """Settings → Accounts → Media hosting (the bucket keys share this dialog's secret store)."""
        from studio.ui.media_host_dialog import MediaHostDialog

        dialog = MediaHostDialog(self.registry.secrets if self.registry else None, self.bridge, self)
        dialog.exec()

    def reject(self) -> None:
        """Closing while a sign-in waits cancels it (the browser tab may stay open)."""
        self.cancel_connect()
        super().reject()
