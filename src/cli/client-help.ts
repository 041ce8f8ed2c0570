import { defaultConfDir } from './server-defaults.js';

/**
 * `fail2ban-client -h` (and `help` in interactive mode): the options and the whole command
 * vocabulary fail2ban-client 1.0.2 accepts, described in our words.
 */
export function clientUsage(): string {
  return `Usage: fail2ban-client [OPTIONS] <COMMAND>

logjail's fail2ban-compatible client: the same options, commands and replies as fail2ban-client.

Options:
    -c, --conf <DIR>        configuration directory (default ${defaultConfDir()})
    -s, --socket <FILE>     socket path
    -p, --pidfile <FILE>    pidfile path
    --pname <NAME>          accepted for compatibility (ignored)
    --loglevel <LEVEL>      logging level for the server started by "start"
    --logtarget <TARGET>    logging target for the server started by "start"
    --syslogsocket auto|<FILE>
                            accepted for compatibility (the configuration decides)
    -d, --dp, --dump-pretty print the command stream the configuration compiles to
    -t, --test              test the configuration (also together with "start")
    -i                      interactive mode: read commands from standard input
    -v / -q                 more / less verbose
    -x                      start even if a stale socket file is left (it is removed)
    -b                      start the server in background (default)
    -f                      start the server in foreground
    --async                 same as -b
    --timeout <SEC>         how long to wait for the server (default 30)
    --str2sec <STRING>      print a time abbreviation (e.g. 1d12h) in seconds
    --json                  print replies as JSON
    -h, --help              this help
    -V, --version           print the version (-V: just the number)

Commands:
  Server
    start                                  start the server and its jails
    restart                                stop the server, then start it again
    restart [--unban] [--if-exists] JAIL   restart one jail (reload --restart JAIL)
    reload [--restart] [--unban] [--all]   re-read the configuration; --restart
                                           rebuilds the jails, --unban lifts bans
    reload [--restart] [--unban] [--if-exists] JAIL
                                           the same for one jail
    stop                                   stop every jail and the server
    status                                 the jails the server runs
    status --all                           the status of every jail
    ping                                   check that the server answers
    version                                the server's version
    echo TEXT...                           the server repeats TEXT
    banned                                 every jail with its banned addresses
    banned IP...                           the jails each IP is banned in
    unban --all                            lift every ban (jails and database)
    unban IP...                            lift these bans everywhere
  Logging
    get|set loglevel [LEVEL]               CRITICAL, ERROR, WARNING, NOTICE, INFO,
                                           DEBUG, TRACEDEBUG, HEAVYDEBUG or 50..5
    get|set logtarget [TARGET]             STDOUT, STDERR, SYSLOG or a file
    get|set syslogsocket [auto|SOCKET]     the syslog socket (logtarget SYSLOG)
    flushlogs                              reopen the log file (after rotation)
  Database
    get|set dbfile [FILE]                  the SQLite file ("None": no database)
    get|set dbmaxmatches [N]               matched lines kept per ban in the database
    get|set dbpurgeage [TIME]              how long ended bans are kept
  Jails
    add JAIL [BACKEND]                     create an empty jail (auto, polling,
                                           pyinotify, systemd)
    start JAIL                             start a jail
    stop JAIL                              stop a jail and remove it
    status JAIL [short]                    a jail's filter and actions (short: without
                                           the lists)
  Jail settings (get JAIL OPTION shows each; set JAIL OPTION VALUE changes it)
    set JAIL idle on|off                   pause or resume banning
    set JAIL ignoreself true|false         ignore this host's own addresses
    set JAIL addignoreip|delignoreip IP    edit the ignore list (addresses, CIDR, names)
    set JAIL ignorecommand|ignorecache V   the ignore command and its cache
    set JAIL addlogpath FILE [tail|head]   follow another log (from its head by default)
    set JAIL dellogpath FILE               stop following a log
    set JAIL logencoding ENCODING          the logs' encoding
    set JAIL addjournalmatch|deljournalmatch MATCH
                                           edit the journal match (systemd backend)
    set JAIL addfailregex|addignoreregex REGEX
                                           add a failure or ignore regex
    set JAIL delfailregex|delignoreregex N remove the regex at index N
    set JAIL prefregex|datepattern|logtimezone VALUE
                                           the filter's prefix regex, date pattern, zone
    set JAIL findtime|bantime TIME         the window for counting failures; ban length
    set JAIL maxretry|maxmatches|maxlines N
                                           failures before a ban; matches kept; lines
                                           buffered for multi-line regexes
    set JAIL usedns yes|warn|no|raw        resolve host names in failures
    set JAIL bantime.OPTION VALUE          increment, factor, formula, multipliers,
                                           maxtime, rndtime, overalljails
    set JAIL attempt IP [FAILURE...]       report a failure of IP by hand
    set JAIL banip IP...                   ban by hand
    set JAIL unbanip [--report-absent] IP...
                                           lift bans by hand
    set JAIL addaction ACT                 add an action (start it on first ban)
    set JAIL delaction ACT                 stop and remove an action
  Jail information
    get JAIL banned [IP...]                the banned addresses, or 1/0 per IP
    get JAIL banip [SEP|--with-time]       banned addresses by end of ban
    get JAIL logpath|logencoding|journalmatch|ignoreself|ignoreip|ignorecommand
    get JAIL failregex|ignoreregex|prefregex|datepattern|logtimezone|usedns
    get JAIL findtime|bantime|maxretry|maxmatches|maxlines|bantime.OPTION
    get JAIL actions                       the jail's actions
  Actions
    get|set JAIL action ACT actionstart|actionstop|actioncheck|actionban|actionunban|
        actionflush|actionrepair|timeout [VALUE]
                                           an action's commands and timeout
    get|set JAIL action ACT PROPERTY [VALUE]
                                           any other property of an action
    set JAIL action ACT METHOD [JSONARGS]  run one of the action's methods
    get JAIL actionproperties|actionmethods ACT
                                           what an action has

Everything is answered as fail2ban-client 1.0.2 answers it; exit status 0, or 255 on error.
`;
}
