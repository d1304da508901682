#!/usr/bin/env bash
# Start, stop and configure independent Dovecot IMAP servers on loopback, one directory each.
#
#   infra/dovecot.sh config DIR --port P [--tls-port P] [--separator C] [--prefix P] [--users N] [--max-mail-size BYTES] [--quota-storage SIZE]
#                       [--users-from sql:CONNECT | passwd-file:PATH]
#                                   [--capability "IMAP4rev1 …"]  (replaces the capabilities announced after login)
#                                   [--max-user-connections N]  (mail_max_userip_connections; Dovecot's default 10)
#                                   [--oauth2-keys DIR --oauth2-issuer ISS]  (also accept XOAUTH2 and OAUTHBEARER
#                                   tokens: JWTs from issuer ISS, checked locally against the PEM public keys in
#                                   DIR/<azp|default>/RS256/<kid|default>; the `email` claim is the user)
#                                   [--oauth2-domain-match]  (the claim need only be in the user's domain: one
#                                   app-only token for every mailbox, as Microsoft 365 grants)
#       write DIR/dovecot.conf, users, master users (and TLS files with --tls-port); start nothing.
#   infra/dovecot.sh start NAME [same options; --port defaults to a free port]
#       configure infra/run/dovecot/NAME and start it in the background; prints "NAME imap=127.0.0.1:P [imaps=...]".
#   infra/dovecot.sh stop NAME | --all
#       stop by PID file only (never touches a system Dovecot, /run/dovecot, or ports 143/993).
#
# Users: user1@example.test … userN@example.test, password "pass". Master user "admin", password "masterpass":
# log in as "user1@example.test*admin" (or SASL PLAIN with authzid user1@example.test, authcid admin).
# TLS: a throw-away CA (DIR/tls/ca.pem) signs a certificate for localhost and 127.0.0.1 (DIR/tls/cert.pem).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run_root="${MAILFERRY_RUN_DIR:-$here/run}/dovecot"

die() { echo "dovecot.sh: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

make_tls() { "$(dirname "${BASH_SOURCE[0]}")/tls.sh" "$1"; }

write_config() {
  local dir="$1"; shift
  local port="" tls_port=0 sep="/" prefix="" users=3 max_mail_size="" capability="+SPECIAL-USE" quota_storage="" users_from=""
  local max_conns=10 oauth2_keys="" oauth2_issuer="" oauth2_domain=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --tls-port) tls_port="$2"; shift 2 ;;
      --separator) sep="$2"; shift 2 ;;
      --prefix) prefix="$2"; shift 2 ;;
      --users) users="$2"; shift 2 ;;
      --max-mail-size) max_mail_size="$2"; shift 2 ;;
      --quota-storage) quota_storage="$2"; shift 2 ;;
      --users-from) users_from="$2"; shift 2 ;;
      --capability) capability="$2"; shift 2 ;;
      --max-user-connections) max_conns="$2"; shift 2 ;;
      --oauth2-keys) oauth2_keys="$2"; shift 2 ;;
      --oauth2-issuer) oauth2_issuer="$2"; shift 2 ;;
      --oauth2-domain-match) oauth2_domain=1; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ -n "$port" ] || die "config needs --port"
  case "$sep" in "/"|".") ;; *) die "--separator must be / or ." ;; esac
  command -v dovecot >/dev/null || die "dovecot is not installed: run infra/install.sh"
  mkdir -p "$dir/run" "$dir/state" "$dir/mail" "$dir/home"
  # Dovecot refuses to access mail as root: as root, mail belongs to "nobody".
  local uid gid
  uid="$(id -u)"; gid="$(id -g)"
  if [ "$uid" = 0 ]; then uid="$(id -u nobody)"; gid="$(id -g nobody)"; chown "$uid:$gid" "$dir/mail" "$dir/home"; fi
  local layout="" ssl="no" ssl_lines=""
  [ "$sep" = "/" ] && layout=":LAYOUT=fs"
  if [ "$tls_port" != 0 ]; then
    make_tls "$dir"; ssl="yes"
    ssl_lines="ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem"
  fi
  # Where users come from: the generated passwd-file (default), PostgreSQL's PostfixAdmin tables
  # (sql:CONNECT-STRING), or a passwd-file written by the import (passwd-file:PATH, with userdb_quota_rule).
  local user_dbs
  case "$users_from" in
    "")
      user_dbs="passdb {
  driver = passwd-file
  args = username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%d/%n
}" ;;
    sql:*)
      cat >"$dir/dovecot-sql.conf.ext" <<SQL
driver = pgsql
connect = ${users_from#sql:}
default_pass_scheme = SHA512-CRYPT
password_query = SELECT username AS user, password FROM mailbox WHERE username = '%u' AND active
user_query = SELECT '$dir/home/%d/%n' AS home, $uid AS uid, $gid AS gid, '*:bytes=' || quota AS quota_rule FROM mailbox WHERE username = '%u' AND active
SQL
      user_dbs="passdb {
  driver = sql
  args = $dir/dovecot-sql.conf.ext
}
userdb {
  driver = sql
  args = $dir/dovecot-sql.conf.ext
}"
      quota_storage="${quota_storage:-0}" ;;
    passwd-file:*)
      user_dbs="passdb {
  driver = passwd-file
  args = username_format=%u ${users_from#passwd-file:}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${users_from#passwd-file:}
  default_fields = uid=$uid gid=$gid home=$dir/home/%d/%n
}"
      quota_storage="${quota_storage:-0}" ;;
    *) die "--users-from must be sql:CONNECT or passwd-file:PATH" ;;
  esac
  # OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER: RFC 7628) validated locally as JWTs (Dovecot's oauth2 passdb,
  # introspection_mode = local); users still come from the userdb above.
  local mechanisms="plain login" oauth2_db=""
  if [ -n "$oauth2_keys" ]; then
    [ -n "$oauth2_issuer" ] || die "--oauth2-keys needs --oauth2-issuer"
    mechanisms="plain login xoauth2 oauthbearer"
    cat >"$dir/dovecot-oauth2.conf.ext" <<OAUTH
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=${oauth2_keys%/}/
issuers = $oauth2_issuer
username_attribute = email
${oauth2_domain:+username_format = %Ld}
OAUTH
    oauth2_db="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
}"
  fi
  local quota_lines=""
  if [ -n "$max_mail_size$quota_storage" ]; then
    # The quota plugin refuses any message above quota_max_mail_size ("NO [LIMIT] …"); with a storage limit,
    # IMAP QUOTA (RFC 9208) reports it to clients.
    quota_lines="mail_plugins = \$mail_plugins quota
protocol imap {
  mail_plugins = \$mail_plugins imap_quota
}
plugin {
  quota = maildir:User quota
  ${max_mail_size:+quota_max_mail_size = $max_mail_size}
  ${quota_storage:+quota_rule = *:storage=$quota_storage}
}"
  fi
  : >"$dir/users"
  for i in $(seq 1 "$users"); do echo "user$i@example.test:{PLAIN}pass::::::" >>"$dir/users"; done
  echo "admin:{PLAIN}masterpass" >"$dir/masters"
  cat >"$dir/dovecot.conf" <<CONF
# Generated by infra/dovecot.sh for a mailferry test server. Do not edit.
instance_name = mailferry-$(basename "$dir")-$port
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = $ssl
$ssl_lines
disable_plaintext_auth = no
auth_mechanisms = $mechanisms
auth_failure_delay = 0
auth_master_user_separator = *
# Several sessions of one user updating the shared mailbox list index at once made Dovecot 2.3.19 panic with
# EDEADLK under fcntl locking, and hang under flock (seen in the benchmark and under a loaded test run); these
# throw-away servers do without that index.
mailbox_list_index = no
mail_location = maildir:$dir/mail/%d/%n$layout
imap_capability = $capability
mail_max_userip_connections = $max_conns
$quota_lines
passdb {
  driver = passwd-file
  master = yes
  args = $dir/masters
  pass = yes
}
$oauth2_db
$user_dbs
namespace inbox {
  inbox = yes
  separator = $sep
  prefix = $prefix
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
CONF
}

wait_port() {
  local port="$1" log="$2"
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  cat "$log" >&2 2>/dev/null || true
  die "dovecot did not listen on 127.0.0.1:$port"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  config)
    [ $# -ge 1 ] || die "usage: config DIR --port P [...]"
    dir="$1"; shift
    write_config "$dir" "$@"
    ;;
  start)
    [ $# -ge 1 ] || die "usage: start NAME [--port P] [...]"
    name="$1"; shift
    dir="$run_root/$name"
    [ -f "$dir/run/master.pid" ] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null && die "$name is already running"
    args=("$@")
    printf '%s\n' "${args[@]}" | grep -qx -- '--port' || args+=(--port "$(free_port)")
    write_config "$dir" "${args[@]}"
    port="$(sed -n '/inet_listener imap {/,/}/s/ *port = //p' "$dir/dovecot.conf")"
    tls_port="$(sed -n '/inet_listener imaps {/,/}/s/ *port = //p' "$dir/dovecot.conf")"
    dovecot -c "$dir/dovecot.conf"
    wait_port "$port" "$dir/dovecot.log"
    line="$name imap=127.0.0.1:$port"
    [ "$tls_port" != 0 ] && line="$line imaps=127.0.0.1:$tls_port ca=$dir/tls/ca.pem"
    echo "$line"
    ;;
  stop)
    [ $# -ge 1 ] || die "usage: stop NAME | --all"
    if [ "$1" = "--all" ]; then names=$(ls "$run_root" 2>/dev/null || true); else names="$1"; fi
    for name in $names; do
      pidfile="$run_root/$name/run/master.pid"
      [ -f "$pidfile" ] || continue
      pid="$(cat "$pidfile")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile"
      echo "stopped $name"
    done
    ;;
  *) die "usage: dovecot.sh config|start|stop ..." ;;
esac
