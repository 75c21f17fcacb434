#include <errno.h>
#include <time.h>
#include "diag.h"
#include "out.h"
#include "pace.h"
#include "time.h"

void iot_pace_init(struct iot_pace *p, double speed)
{
    p->speed = speed > 0 ? speed : 1;
    p->started = 0;
}

static int sleep_until(int64_t wall)
{
    int64_t now = iot_time_mono();
    if (now >= wall) return !iot_stop_requested;
    iot_out_flush_all();
    struct timespec ts = { (time_t)(wall / IOT_NS_PER_S), (long)(wall % IOT_NS_PER_S) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        if (iot_stop_requested) return 0;
    return !iot_stop_requested;
}

int iot_pace_until(struct iot_pace *p, int64_t ev)
{
    if (!p->started) {
        p->started = 1;
        p->wall0 = iot_time_mono();
        p->ev0 = ev;
        return !iot_stop_requested;
    }
    double dt = (double)(ev - p->ev0) / p->speed;
    if (dt <= 0) return !iot_stop_requested;     /* out-of-order events go at once */
    return sleep_until(p->wall0 + (int64_t)dt);
}

void iot_pace_anchor(struct iot_pace *p, int64_t ev0)
{
    p->started = 1;
    p->wall0 = iot_time_mono();
    p->ev0 = ev0;
}

int iot_pace_rate(struct iot_pace *p, int64_t n, double rate)
{
    if (!p->started) {
        p->started = 1;
        p->wall0 = iot_time_mono();
    }
    return sleep_until(p->wall0 + (int64_t)((double)n * 1e9 / rate));
}
