# Short commands for TUTORIAL.md's terminal sessions. In the terminal where
# you type them, from the repository's folder, once:
#
#     export API=http://127.0.0.1:8000     # the line `make step-N` prints
#     source tutorial.sh
#
# Each function is one curl or python3 command you could type in full: read
# them, they are part of the lesson. They work in bash and in zsh.

# Where the servers are. `make step-N` prints the export line with its real
# port; without one, these are its defaults. RESOURCE is the second service
# of steps 14 and 15.
export API="${API:-http://127.0.0.1:8000}"
export RESOURCE="${RESOURCE:-http://127.0.0.1:8001}"
echo "tutorial.sh: API=$API RESOURCE=$RESOURCE"

# One value of the JSON object on stdin: `... | field access`. Nothing if
# there is no JSON (no answer: the server is not up).
field() {
  python3 -c 'import json, sys
try: print(json.load(sys.stdin).get(sys.argv[1], ""))
except ValueError: pass' "$1"
}

# login USER PASSWORD: trade them for two tokens at /api/token/. Prints the
# answer, and keeps the tokens in $ACCESS and $REFRESH for what follows.
login() {
  TOKENS=$(curl -s -X POST "$API/api/token/" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$2\"}")
  echo "${TOKENS:-No answer: is the server at $API up?}"
  ACCESS=$(echo "$TOKENS" | field access)
  REFRESH=$(echo "$TOKENS" | field refresh)
}

# post URL JSON: POST JSON, with no token. Prints the answer, then its
# status code on a line of its own.
post() {
  curl -s -w '\n%{http_code}\n' -X POST "$1" -H 'Content-Type: application/json' -d "$2"
}

# refresh [TOKEN]: trade a refresh token ($REFRESH unless you name one) for
# a new access token. Prints the answer and its status code.
refresh() {
  post "$API/api/token/refresh/" "{\"refresh\": \"${1:-$REFRESH}\"}"
}

# api METHOD URL [JSON]: a request with "Authorization: Bearer $ACCESS".
# Prints the answer and its status code. JSON @- reads the body from stdin.
api() {
  local body=()
  [ $# -ge 3 ] && body=(--data-binary "$3")
  curl -s -w '\n%{http_code}\n' -X "$1" "$2" -H "Authorization: Bearer $ACCESS" \
    -H 'Content-Type: application/json' "${body[@]}"
}

# status URL [TOKEN]: only the status code of a GET, with TOKEN if you give one.
status() {
  local auth=()
  [ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
  curl -s -o /dev/null -w '%{http_code}\n' "$1" "${auth[@]}"
}

# manage ARGS: the repository's Python runs manage.py, in a step's folder
# (steps/NN-name/, two levels down from the repository's).
manage() { ../../.venv/bin/python manage.py "$@"; }

# A token is header.payload.signature, each part base64url: decoding one
# needs no key and checks nothing. Anyone who holds a token can read it.
header() { jwt_part "$1" 0; }
claims() { jwt_part "$1" 1; }
jwt_part() {
  python3 -c '
import base64, sys
parts = sys.argv[1].split(".")
if len(parts) != 3:
    sys.exit(f"Not a token: {sys.argv[1][:20]!r} (did the login work?)")
part = parts[int(sys.argv[2])]
print(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())' "$1" "$2"
}

# lifetime TOKEN: how long the token lives, exp - iat: in minutes when that
# is a whole number of them ("1440 minutes"), else in seconds ("10 seconds").
# An access token may come out a second short (chapter 5): 299 is 5 minutes.
lifetime() {
  local payload
  payload=$(claims "$1") || return 1
  echo "$payload" | python3 -c '
import json, sys
claims = json.load(sys.stdin)
seconds = claims["exp"] - claims["iat"]
minutes = round(seconds / 60)
if minutes and abs(seconds - 60 * minutes) <= 1:
    print(minutes, "minute" if minutes == 1 else "minutes")
else:
    print(seconds, "second" if seconds == 1 else "seconds")'
}
