"""Settings → Accounts → Media hosting: the S3-compatible bucket that hosts Instagram images.

Why a dialog of its own: Instagram only fetches images from a public URL, so the studio uploads them
to the user's bucket for the time of publishing. This is the GUI twin of `studio accounts media-host
set|test`: it saves through the very same functions (`MediaHostSettings.save`,
`S3MediaHost.save_credentials`) so both front ends always agree on what is stored where.

The secret key is never displayed back (only the key id's last 4 characters identify the saved
pair), an empty secret field keeps the saved one, and "Test connection" talks to the network in a
`WorkerBridge` job so the GUI never waits on it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.progress import CancelToken, ProgressFn
from studio.jobs.publish import MediaHostSettings
from studio.publish.media_host import (
    S3MediaHost,
    SecretGetter,
    check_bucket_settings,
    credential_key,
    endpoint_is_private,
)
from studio.ui.workers import Job, WorkerBridge

#: One name for now, like the CLI (`studio accounts media-host` always uses "default").
CREDENTIALS_NAME = "default"

HELP_TEXT = (
    "Instagram only accepts images from a public web address. While a post publishes, the studio "
    "uploads its images to <b>your own</b> S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, …) and "
    "gives Instagram a link that expires; the images are <b>deleted from the bucket after publishing</b>. "
    "The bucket itself can stay private. Leave the endpoint empty for AWS S3."
)
ENDPOINT_PLACEHOLDER = (
    "empty = AWS S3 · https://<account-id>.r2.cloudflarestorage.com · https://minio.example.com:9000"
)
_ERROR_STYLE = "color: #d32f2f;"


def run_self_test(
    endpoint_url: str | None,
    bucket: str,
    region: str,
    prefix: str,
    access_key: str,
    secret_key: str,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
) -> dict[str, Any]:
    """The job behind "Test connection": upload, fetch through a presigned URL, delete (network I/O)."""
    progress(0, 1, f"Testing bucket {bucket}…")
    host = S3MediaHost(endpoint_url, bucket, access_key, secret_key, region, prefix=prefix)
    result = host.self_test()
    progress(1, 1, "Done")
    return result


class MediaHostDialog(QDialog):
    """See module doc. `saved` fires after the settings (and keys, if typed) were written."""

    saved = Signal()

    def __init__(
        self, secrets: SecretGetter | None, bridge: WorkerBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Media hosting")
        self.resize(620, 420)
        self.secrets = secrets
        self.bridge = bridge
        self.job: Job | None = None
        self._build()
        self._load()
        self.validate()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        help_label = QLabel(HELP_TEXT)
        help_label.setWordWrap(True)

        self.endpoint = QLineEdit()
        self.endpoint.setPlaceholderText(ENDPOINT_PLACEHOLDER)
        self.endpoint.setToolTip(
            "AWS S3: leave empty · Cloudflare R2: https://<account-id>.r2.cloudflarestorage.com · "
            "MinIO: https://your-minio-host:9000"
        )
        self.bucket = QLineEdit()
        self.bucket.setPlaceholderText("my-shop-media")
        self.region = QLineEdit("us-east-1")
        self.region.setPlaceholderText("us-east-1 (AWS), auto (R2), us-east-1 (MinIO)")
        self.prefix = QLineEdit("shoppable-studio/")
        self.access_key = QLineEdit()
        self.access_key.setPlaceholderText("access key id")
        self.secret_key = QLineEdit()
        self.secret_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_key.setPlaceholderText("secret access key")
        self.saved_keys = QLabel()

        self.field_errors: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label, edit in (
            ("endpoint", "Endpoint URL", self.endpoint),
            ("bucket", "Bucket", self.bucket),
            ("region", "Region", self.region),
            ("prefix", "Prefix", self.prefix),
        ):
            error = QLabel()
            error.setWordWrap(True)
            error.setStyleSheet(_ERROR_STYLE)
            error.hide()
            self.field_errors[key] = error
            form.addRow(label, edit)
            form.addRow("", error)
            edit.textChanged.connect(lambda *_: self.validate())
        self.private_warning = QLabel(
            "This endpoint is on this computer or a private network: the test can pass here, but "
            "Instagram cannot fetch images from it."
        )
        self.private_warning.setWordWrap(True)
        self.private_warning.setStyleSheet("background: #fff3e0; padding: 4px;")
        self.private_warning.hide()
        form.addRow("", self.private_warning)
        form.addRow("Access key id", self.access_key)
        form.addRow("Secret key", self.secret_key)
        form.addRow("", self.saved_keys)
        self.access_key.textChanged.connect(lambda *_: self.validate())
        self.secret_key.textChanged.connect(lambda *_: self.validate())

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.start_test)
        self.result_line = QLabel()
        self.result_line.setWordWrap(True)
        self.result_line.setTextFormat(Qt.TextFormat.PlainText)  # error texts come from servers

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addLayout(form)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result_line)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    def _saved_credentials(self) -> tuple[str, str] | None:
        """The saved key pair, or None (also when the keyring cannot be read)."""
        if self.secrets is None:
            return None
        try:
            access = self.secrets.get(credential_key(CREDENTIALS_NAME, "access_key_id"))
            secret = self.secrets.get(credential_key(CREDENTIALS_NAME, "secret_access_key"))
        except StudioError:
            return None
        return (access, secret) if access and secret else None

    def _load(self) -> None:
        try:
            settings = MediaHostSettings.load_file()
        except StudioError as exc:
            self._set_result(exc.message(), error=True)
            settings = None
        if settings is not None:
            self.endpoint.setText(settings.endpoint_url or "")
            self.bucket.setText(settings.bucket)
            self.region.setText(settings.region)
            self.prefix.setText(settings.prefix)
        self._show_saved_keys()

    def _show_saved_keys(self) -> None:
        saved = self._saved_credentials()
        if saved is None:
            text = "No keys saved yet." if self.secrets is not None else "No keyring: keys cannot be saved."
        else:
            text = f"saved ••••{saved[0][-4:]} (leave the secret empty to keep it)"
        self.saved_keys.setText(text)

    # --- reading the form ---------------------------------------------------------------------------

    def settings(self) -> MediaHostSettings:
        """The form as settings, normalised the way the CLI normalises them."""
        prefix = self.prefix.text().strip()
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return MediaHostSettings(
            bucket=self.bucket.text().strip(),
            endpoint_url=self.endpoint.text().strip().rstrip("/") or None,
            region=self.region.text().strip(),
            prefix=prefix,
        )

    def credentials(self) -> tuple[str, str] | None:
        """Typed keys, else the saved pair (an empty secret keeps the saved one), else None."""
        access, secret = self.access_key.text().strip(), self.secret_key.text().strip()
        saved = self._saved_credentials()
        if secret:
            access = access or (saved[0] if saved else "")
            return (access, secret) if access else None
        if saved and (not access or access == saved[0]):
            return saved
        return None

    def validate(self) -> list[str]:
        """Show each problem next to its field; Save/Test are enabled only when there is none."""
        s = self.settings()
        problems = check_bucket_settings(s.endpoint_url, s.bucket, s.region, s.prefix)
        for key, label in self.field_errors.items():
            mine = [p for p in problems if p.startswith(key)]
            label.setText("\n".join(mine))
            label.setVisible(bool(mine))
        self.private_warning.setVisible(not problems and endpoint_is_private(s.endpoint_url))
        self._update_buttons(problems)
        return problems

    def _update_buttons(self, problems: list[str] | None = None) -> None:
        if problems is None:
            s = self.settings()
            problems = check_bucket_settings(s.endpoint_url, s.bucket, s.region, s.prefix)
        ok = not problems and self.job is None
        self.save_button.setEnabled(ok and self.secrets is not None and self.credentials() is not None)
        self.test_button.setEnabled(ok and self.credentials() is not None)

    def _set_result(self, text: str, *, error: bool = False) -> None:
        self.result_line.setText(text)
        self.result_line.setStyleSheet(_ERROR_STYLE if error else "")

    # --- gestures -----------------------------------------------------------------------------------

    def start_test(self) -> None:
        """Run the bucket self-test in a worker with the form's values (nothing is saved)."""
        creds = self.credentials()
        if self.job is not None or self.validate() or creds is None:
            return
        s = self.settings()
        self._set_result(f"Testing bucket {s.bucket}…")
        self.job = self.bridge.submit(
            run_self_test,
            s.endpoint_url,
            s.bucket,
            s.region,
            s.prefix,
            creds[0],
            creds[1],
            label="Test media bucket",
            on_result=self._test_passed,
            on_error=self._test_failed,
            on_cancelled=self._test_cancelled,
        )
        self._update_buttons()

    def _job_done(self) -> None:
        self.job = None
        self._update_buttons()

    def _test_passed(self, result: dict[str, Any]) -> None:
        self._job_done()
        text = (
            f"✓ Connection OK: uploaded, fetched through a presigned URL and deleted a test image in "
            f"{result.get('bucket', '')}."
        )
        if result.get("private_endpoint"):
            text += " (Private endpoint: Instagram will not reach it.)"
        self._set_result(text)

    def _test_failed(self, error: StudioError) -> None:
        self._job_done()
        self._set_result("✗ " + error.message(), error=True)

    def _test_cancelled(self) -> None:
        self._job_done()
        self._set_result("Test cancelled.")

    def save(self) -> None:
        """Write the settings file and, when typed, the keys (through the CLI's own functions)."""
        if self.validate() or self.secrets is None:
            return
        creds = self.credentials()
        if creds is None:
            self._set_result("Enter the access key id and the secret key.", error=True)
            return
        try:
            if self.secret_key.text().strip():
                S3MediaHost.save_credentials(self.secrets, creds[0], creds[1], name=CREDENTIALS_NAME)
            self.settings().save()
        except (StudioError, OSError) as exc:
            message = exc.message() if isinstance(exc, StudioError) else str(exc)
            self._set_result(message, error=True)
            return
        self.secret_key.clear()
        self.access_key.clear()
        self._show_saved_keys()
        self.saved.emit()
        self.accept()

    def reject(self) -> None:
        """Closing during a test cancels it (the result is then ignored)."""
        if self.job is not None:
            self.job.cancel()
        super().reject()
