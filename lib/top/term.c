/* term: terminal set-up and restore. */
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "term.h"

volatile sig_atomic_t iot_term_resized;
static int out_fd = -1, tty_fd = -1;
static struct termios saved;
static bool have_saved;

int iot_term_colour(const char *when)
{
    if (!when || !strcmp(when, "auto")) {
        const char *t = getenv("TERM"), *nc = getenv("NO_COLOR");
        return isatty(STDOUT_FILENO) && t && *t && strcmp(t, "dumb") && !(nc && *nc);
    }
    if (!strcmp(when, "always")) return 1;
    if (!strcmp(when, "never")) return 0;
    return -1;
}

bool iot_term_utf8(void)
{
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

void iot_term_size(int fd, int *cols, int *rows)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
        return;
    }
    const char *c = getenv("COLUMNS"), *l = getenv("LINES");
    *cols = c && atoi(c) > 0 ? atoi(c) : 80;
    *rows = l && atoi(l) > 0 ? atoi(l) : 24;
}

static void on_winch(int sig) { (void)sig; iot_term_resized = 1; }

static void wr(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t k = write(out_fd, s, n);
        if (k <= 0) return;
        s += k;
        n -= (size_t)k;
    }
}

int iot_term_enter(int fd)
{
    if (!isatty(fd)) return -1;
    out_fd = fd;
    tty_fd = open("/dev/tty", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (tty_fd >= 0 && tcgetattr(tty_fd, &saved) == 0) {
        have_saved = true;
        struct termios raw = saved;
        raw.c_lflag &= (tcflag_t)~(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tcsetattr(tty_fd, TCSANOW, &raw);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &sa, NULL);
    atexit(iot_term_leave);
    wr("\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H");
    return 0;
}

void iot_term_leave(void)
{
    if (out_fd < 0) return;
    wr("\x1b[0m\x1b[?25h\x1b[?1049l");
    if (have_saved) tcsetattr(tty_fd, TCSANOW, &saved);
    have_saved = false;
    if (tty_fd >= 0) close(tty_fd);
    tty_fd = out_fd = -1;
}

int iot_term_key(void)
{
    unsigned char c;
    if (tty_fd < 0) return -1;
    return read(tty_fd, &c, 1) == 1 ? c : -1;
}
