"""`brief help TOPIC`: the longer texts that do not belong to one command (also in the man page)."""

from __future__ import annotations

TOPICS: dict[str, tuple[str, str]] = {
    "query": ("The query syntax of search, list --query, tag --query, export --query and trend", """\
Field names and values are case-insensitive; AND, OR and NOT only in capitals.

  sanctions relief        the words in the title or text, all of them (stemmed: sanction = sanctions)
  "maximum pressure"      a phrase
  tag:"north korea"       one field: tag, author, title, body, type, org (name or abbreviation), id (a prefix)
  date:2019               a whole year; date:2019-04 a month; date:2019-04-17 a day
  date:2019..2020         a range of whole periods, ends included; date:2019-03.. ; date:..2019-06
  a OR b, a AND b         booleans; OR binds tighter than a space: sanctions iran OR venezuela
  NOT a, -a, -tag:draft   leave out; ( ... ) groups
  sanct*                  a prefix
  sanctons~, sanctons~2   near spellings (one edit, two for long words; ~2: up to two)
  @NAME                   a saved search (brief saved add NAME QUERY); -@NAME leaves its briefs out

Up to three words mean all of them; when no brief has them all, briefs with any are ranked
instead (said on stderr). A question of four or more words lists the briefs with all its words
first, then those with some. A query that starts with '-' needs '--' before it:
brief search -- -draft sanctions. A malformed query is one error line naming the column."""),
    "dates": ("Dates in queries, options and briefs", """\
--since and --until (and date: in a query) take a year, a month or a day: 2019, 2019-04,
2019-04-17; a bare year or month means the whole period (--since 2019 --until 2019 is all of
2019). --date (add, edit) takes anything like 2019-04-17, 'April 17, 2019', '17 April 2019'.

A numeric date such as 03/04/2019 is ambiguous: it is read month first (March 4) unless
'date-order' is dmy (3 April): brief config set date-order dmy, or BRIEF_DATE_ORDER=dmy.

From a brief's own text, dates are taken only where briefs put them (front matter, the header
line, a dateline), never from a number in the body: no date is better than a wrong one. Briefs
without a date sort last and are left out of trend counts (which say how many)."""),
    "saved": ("Saved searches and @NAME", """\
brief saved add NAME QUERY [--tag T --author A --since D --until D --type T --org O]
brief saved list
brief saved remove NAME

@NAME stands for the saved query and its filters, in brackets, wherever a query is taken:
brief search @NAME date:2024 narrows it, -@NAME leaves its briefs out, and a saved query may
use another @NAME. "@word" in quotes, or an @ inside a word, is left alone. Saved searches are
kept in the archive folder (saved.json) and travel with brief export / brief import."""),
    "config": ("The configuration file and the order of settings", """\
$XDG_CONFIG_HOME/brief/config.toml (~/.config/brief/config.toml; $BRIEF_CONFIG names another).
brief config path | show | set KEY VALUE | unset KEY.

  index         the archive folder                 --index, BRIEF_INDEX
  lock-timeout  seconds to wait for another writer --lock-timeout, BRIEF_LOCK_TIMEOUT (default 30)
  pager         the command that pages long output BRIEF_PAGER, PAGER
  date-order    mdy or dmy for 03/04/2019          BRIEF_DATE_ORDER (default mdy)
  cite-style    apa, chicago, mla, bibtex, ris, csl-json   cite --style, BRIEF_CITE_STYLE (default apa)
  color         auto, always or never              NO_COLOR, FORCE_COLOR (default auto)

A command-line option wins over the environment, which wins over the config file, which wins
over the default. A bad file or value is one error line naming the file and the key."""),
}


def topic_text(name: str) -> str:
    title, body = TOPICS[name]
    return f"{title}\n\n{body}\n"
