"""Users: registration from Telegram, lookup, bans, roles, reachability."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from quickcart import audit
from quickcart.db import immediate
from quickcart.i18n import language_for_telegram
from quickcart.models import CUSTOMER, RESELLER, User
from quickcart.timeutil import utcnow

MAX_NAME = 256


@dataclass(frozen=True)
class TelegramIdentity:
    """The parts of a Telegram ``User`` we keep; ``language_code`` is their Telegram app's language."""
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)[:MAX_NAME]

    @classmethod
    def from_telegram(cls, tg_user) -> TelegramIdentity:
        return cls(id=tg_user.id, first_name=tg_user.first_name or "",
                   last_name=tg_user.last_name, username=tg_user.username,
                   language_code=getattr(tg_user, "language_code", None))

    @property
    def language(self) -> str:
        return language_for_telegram(self.language_code)


def get(user_id: int) -> User | None:
    return User.get_or_none(User.id == user_id)


def _language_now(user: User, identity: TelegramIdentity) -> str:
    """The user's language after this update: their Telegram app's, until they chose one themselves.

    An update without a language code says nothing about it.
    """
    if user.language_chosen or not identity.language_code:
        return user.language
    return identity.language


def register(identity: TelegramIdentity) -> tuple[User, bool]:
    """Create the user, or refresh their name, username, reachability and (not chosen) language.

    Returns ``(user, created)``. Writes only when something changed, so it
    is cheap to call on every update.
    """
    user = get(identity.id)
    if user is not None and (user.name, user.username, user.blocked_bot, user.language) == (
            identity.display_name, identity.username, False, _language_now(user, identity)):
        return user, False
    with immediate():
        user = get(identity.id)
        if user is None:
            seq = (User.select(fn.MAX(User.bank_seq)).scalar() or 0) + 1
            user = User.create(id=identity.id, name=identity.display_name, username=identity.username,
                               bank_seq=seq, bank_id=f"USR{seq:03d}", language=identity.language)
            return user, True
        User.update(name=identity.display_name, username=identity.username, blocked_bot=False,
                    language=_language_now(user, identity), updated_at=utcnow()).where(
            User.id == identity.id).execute()
    return get(identity.id), False


def choose_language(user_id: int, language: str) -> bool:
    """The user's own choice, kept from now on; False when it was already their choice (a double tap)."""
    return User.update(language=language, language_chosen=True, updated_at=utcnow()).where(
        (User.id == user_id) & ((User.language != language) | ~User.language_chosen)).execute() == 1


def find(query: str) -> User | None:
    """A user by Telegram id, ``@username`` or bank id (``USR001``)."""
    query = query.strip()
    if query.isdigit():
        return get(int(query))
    if query.upper().startswith("USR") and query[3:].isdigit():
        return User.get_or_none(User.bank_id == query.upper())
    if query.startswith("@"):
        query = query[1:]
    if not query:
        return None
    return User.get_or_none(fn.LOWER(User.username) == query.lower())


def mark_blocked(user_id: int, blocked: bool = True) -> None:
    """Remember that the user blocked (or unblocked) the bot."""
    User.update(blocked_bot=blocked, updated_at=utcnow()).where(
        (User.id == user_id) & (User.blocked_bot != blocked)).execute()


def claim_ban_notice(user_id: int) -> bool:
    """True once per ban: the banned user gets one short notice, then silence."""
    return User.update(ban_notice_sent=True).where(
        (User.id == user_id) & User.is_banned & ~User.ban_notice_sent).execute() == 1


def ban(admin_id: int, user: User, reason: str) -> User:
    with immediate():
        before = {"is_banned": user.is_banned, "ban_reason": user.ban_reason}
        User.update(is_banned=True, ban_reason=reason or None, ban_notice_sent=False,
                    updated_at=utcnow()).where(User.id == user.id).execute()
        audit.record("user.ban", actor_id=admin_id, subject=f"user:{user.id}", before=before,
                     after={"is_banned": True, "ban_reason": reason or None})
    return get(user.id)


def unban(admin_id: int, user: User) -> User:
    with immediate():
        before = {"is_banned": user.is_banned, "ban_reason": user.ban_reason}
        User.update(is_banned=False, ban_reason=None, ban_notice_sent=False,
                    updated_at=utcnow()).where(User.id == user.id).execute()
        audit.record("user.unban", actor_id=admin_id, subject=f"user:{user.id}", before=before,
                     after={"is_banned": False})
    return get(user.id)


def set_role(admin_id: int, user: User, role: str) -> User:
    if role not in (CUSTOMER, RESELLER):
        raise ValueError(f"unknown role {role!r}")
    with immediate():
        before = {"member_status": user.member_status}
        User.update(member_status=role, updated_at=utcnow()).where(User.id == user.id).execute()
        audit.record("user.setrole", actor_id=admin_id, subject=f"user:{user.id}", before=before,
                     after={"member_status": role})
    return get(user.id)
