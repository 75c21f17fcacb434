/* term: the terminal of a live dashboard — size (TIOCGWINSZ, then COLUMNS/LINES, then 80x24),
 * the alternate screen and hidden cursor (CSI ?1049h, CSI ?25l), keys read from /dev/tty in
 * non-canonical mode (termios(3)), and a terminal restored on every exit path (atexit, and the
 * SIGINT/SIGTERM flag of core/diag ending the main loop). SIGWINCH only sets a flag. */
#ifndef IOT_TOP_TERM_H
#define IOT_TOP_TERM_H
#include <stdbool.h>
#include <signal.h>

/* Colour decision: "auto" = stdout is a terminal, TERM is set and not "dumb", NO_COLOR is
 * unset or empty; "always"; "never". Returns -1 for another word. */
int iot_term_colour(const char *when);
/* True when LC_ALL/LC_CTYPE/LANG (after setlocale) say UTF-8. */
bool iot_term_utf8(void);
void iot_term_size(int fd, int *cols, int *rows);
/* Enters the dashboard screen on fd (stdout): alternate screen, cursor hidden, keys from
 * /dev/tty without echo. Returns 0, or -1 (and changes nothing) when fd is not a terminal. */
int iot_term_enter(int fd);
/* Undoes iot_term_enter; safe to call twice. */
void iot_term_leave(void);
/* A key pressed, or -1 when none is waiting (never blocks). */
int iot_term_key(void);
extern volatile sig_atomic_t iot_term_resized;
#endif
