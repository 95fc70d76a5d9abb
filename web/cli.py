"""``vidverify serve``, ``vidverify tokens add NAME``, ``vidverify users add NAME --role ROLE``."""

from __future__ import annotations

import argparse
import getpass
import sys

from web.settings import WebSettings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vidverify.migrate import SchemaMismatch, startup
    from web.app import create_app

    settings = WebSettings.from_env()
    try:
        startup(settings.database_url)  # upgrade (or check) every schema before serving
    except SchemaMismatch as exc:
        print(f"vidverify serve: {exc}", file=sys.stderr)
        return 1
    uvicorn.run(create_app(settings), **uvicorn_options(settings, args))
    return 0


def uvicorn_options(settings: WebSettings, args: argparse.Namespace) -> dict[str, object]:
    """Where to listen, and whose ``X-Forwarded-For`` to believe: only the proxies named by
    ``--forwarded-allow-ips`` (or ``VIDVERIFY_WEB_FORWARDED_ALLOW_IPS``), none by default.
    uvicorn's own default trusts 127.0.0.1, so anyone on the host could pick their address."""
    trusted = args.forwarded_allow_ips
    if trusted is None:
        trusted = settings.forwarded_allow_ips
    return {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
        "server_header": False,
    }


def _tokens_add(args: argparse.Namespace) -> int:
    from web.tokens import create_token

    try:
        token = create_token(WebSettings.from_env().database_url, args.name)
    except ValueError as exc:
        print(f"vidverify tokens add: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"(token for {args.name!r}; shown once, stored hashed)", file=sys.stderr)
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    from web.tokens import revoke_token

    n = revoke_token(WebSettings.from_env().database_url, args.name)
    print(f"revoked {n} token(s) of {args.name!r}")
    return 0 if n else 1


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _users_add(args: argparse.Namespace) -> int:
    from web.users import UserError, add_user

    try:
        password = _read_password()
        add_user(WebSettings.from_env().database_url, args.name, args.role, password)
    except (UserError, ValueError) as exc:
        print(f"vidverify users add: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.name!r} added as {args.role}")
    return 0


def _users_change(args: argparse.Namespace) -> int:
    from web.users import UserError, set_active, set_password, set_role

    url = WebSettings.from_env().database_url
    try:
        if args.users_command == "passwd":
            set_password(url, args.name, _read_password())
        elif args.users_command == "role":
            set_role(url, args.name, args.role)
        else:
            set_active(url, args.name, args.users_command == "enable")
    except (UserError, ValueError) as exc:
        print(f"vidverify users {args.users_command}: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.name!r} changed; their sessions have ended")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the web service (API, review pages, dashboard)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated proxy addresses whose X-Forwarded-For is believed (default: none, "
        "or VIDVERIFY_WEB_FORWARDED_ALLOW_IPS)",
    )
    serve.set_defaults(func=_serve)

    tokens = subparsers.add_parser("tokens", help="API tokens for intake clients")
    tsub = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    add = tsub.add_parser("add", help="create a token and print it once")
    add.add_argument("name", help="the client's name")
    add.set_defaults(func=_tokens_add)
    revoke = tsub.add_parser("revoke", help="revoke every token of a client")
    revoke.add_argument("name")
    revoke.set_defaults(func=_tokens_revoke)

    users = subparsers.add_parser("users", help="reviewer and operator accounts")
    usub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    uadd = usub.add_parser("add", help="add a user; the password is read from standard input")
    uadd.add_argument("name")
    uadd.add_argument("--role", choices=("reviewer", "operator"), required=True)
    uadd.set_defaults(func=_users_add)
    upw = usub.add_parser("passwd", help="set a new password (standard input); ends their sessions")
    upw.add_argument("name")
    upw.set_defaults(func=_users_change)
    urole = usub.add_parser("role", help="change the role; ends their sessions")
    urole.add_argument("name")
    urole.add_argument("--role", choices=("reviewer", "operator"), required=True)
    urole.set_defaults(func=_users_change)
    for action, text in (("disable", "deactivate the account"), ("enable", "reactivate the account")):
        sub = usub.add_parser(action, help=text + "; ends their sessions")
        sub.add_argument("name")
        sub.set_defaults(func=_users_change)
