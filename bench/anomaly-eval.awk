# Scores iot-anomaly output against iot-sim --truth labels (_anomaly, _anomalySensor).
# Input: annotated records with anomaly.<field>.isAnomaly for each field in FIELDS (comma list).
# An event = a run of records of one device where _anomaly = kind and _anomalySensor = field.
# The first alert on that device+field during the event or within G samples after its end
# detects it (delay = samples from the event start); later alerts inside that span are
# neither detections nor false. Any other alert is false. Alerts in the first S samples of a
# series (start-up: the detector has not seen the slowest built-in cycle of iot-sim, a 600 s
# sawtooth, and the likelihood warms up for 300) are counted apart: a series starts once in
# its life, while a device-day of running repeats daily. Prints per kind: events, detected,
# recall, median delay; then false alerts per device-day (DAYS given), steady and start-up.
function str(name,   i, s) {
    i = index($0, "\"" name "\":\"")
    if (!i) return ""
    s = substr($0, i + length(name) + 4)
    return substr(s, 1, index(s, "\"") - 1)
}
BEGIN { nf = split(FIELDS, F, ","); if (!G) G = 30; if (S == "") S = 3600 }
{
    dev = str("deviceId"); kind = str("_anomaly"); sens = str("_anomalySensor")
    devs[dev] = 1
    a = index($0, "\"anomaly\":{"); tail = substr($0, a)
    for (j = 1; j <= nf; j++) {
        f = F[j]; k = dev SUBSEP f
        n = ++cnt[k]
        act = (kind != "" && kind != "none" && sens == f)
        if (act && (!on[k] || ekind[k] != kind)) {      # event starts
            on[k] = 1; ekind[k] = kind; estart[k] = n; edet[k] = 0; events[kind]++
        } else if (!act && on[k]) {
            on[k] = 0; eend[k] = n - 1
        }
        q = index(tail, "\"" f "\":{"); if (nf == 1) q = 1
        seg = substr(tail, q); seg = substr(seg, 1, index(seg, "}"))
        if (index(seg, "\"isAnomaly\":true")) {
            if (on[k] || (eend[k] && n - eend[k] <= G)) {
                if (!edet[k]) { edet[k] = 1; det[ekind[k]]++; delays[ekind[k], det[ekind[k]]] = n - estart[k] }
            } else if (n <= S) { fs++; fsf[f]++ }
            else { fa++; faf[f]++ }
        }
    }
}
END {
    nd = 0; for (d in devs) nd++
    printf "%-8s %7s %8s %7s %13s\n", "kind", "events", "detected", "recall", "median-delay"
    for (kd in events) {
        m = det[kd] + 0
        # median delay by selection sort (small counts)
        for (i = 1; i <= m; i++) v[i] = delays[kd, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        med = m ? v[int((m + 1) / 2)] : -1
        printf "%-8s %7d %8d %7.3f %13s\n", kd, events[kd], m, m / events[kd], (m ? med : "-")
    }
    by = ""; for (j = 1; j <= nf; j++) by = by sprintf("%s%s %d", j > 1 ? ", " : "", F[j], faf[F[j]])
    printf "false alerts: %d over %d devices x %g days = %.2f per device-day (%s)\n", fa, nd, DAYS, fa / (nd * DAYS), by
    by = ""; for (j = 1; j <= nf; j++) by = by sprintf("%s%s %d", j > 1 ? ", " : "", F[j], fsf[F[j]])
    printf "start-up false alerts (first %d samples of each series): %d (%s); all together %.2f per device-day\n", S, fs, by, (fa + fs) / (nd * DAYS)
}
