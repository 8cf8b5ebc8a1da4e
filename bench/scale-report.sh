#!/bin/sh
# scale-report.sh DAT DIR: the report of bench-scale.sh from its data file
# (N latency start_mck start_plain end_mck end_plain prolog_slowest
# prolog_median, seconds): DIR/scale.md (table, fits, goals), DIR/scale.png
# (gnuplot) and RESULT lines on stdout. A kept scale.dat gives the same
# report again.
set -u
DAT=$1
DIR=$2
[ -s "$DAT" ] || { echo "scale-report: no data in $DAT" >&2; exit 1; }
# columns 9 and 10: start and end added (--mckernel minus plain)
ADDED=$DIR/scale.added
# the N of the goal (added time at GOAL_N within 10% of the smallest N);
# fits cover N up to it, larger N are shown as where the machine stops
GOAL_N=${BENCH_SCALE_GOAL_N:-32}
# by latency (in the order measured), then N
awk '$1 !~ /^#/ { if (!($2 in o)) o[$2] = ++k; print o[$2], $0, $3 - $4, $5 - $6 }' "$DAT" |
	sort -k1,1n -k2,2n | cut -d' ' -f2- >"$ADDED"

# fit LATENCY COLUMN: how the column grows with N. Least squares of
# log (a + b log2 N) and linear (a + b N). Flat when the better of them
# changes by less than 10% of the smallest N's value (the goal's
# tolerance) or 50 ms over the whole range; else the one with the smaller
# residual, with its slope and R^2.
fit() {
	awk -v lat="$1" -v col="$2" -v nmax="$GOAL_N" '
	$2 == lat && $1 <= nmax { n++; x[n] = $1; y[n] = $col; if (n == 1 || $1 < xmin) { xmin = $1; y0 = $col }; if (n == 1 || $1 > xmax) xmax = $1 }
	function f(k, v) { return k == 1 ? log(v) / log(2) : v }
	function ls(k,   i, sx, sy, sxx, sxy, r) { # k: 1 log2 N, 2 N; sets A, B, RSS, R2
		sx = sy = sxx = sxy = 0
		for (i = 1; i <= n; i++) { sx += f(k, x[i]); sy += y[i]; sxx += f(k, x[i]) ^ 2; sxy += f(k, x[i]) * y[i] }
		B[k] = n * sxx - sx * sx == 0 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx)
		A[k] = (sy - B[k] * sx) / n
		RSS[k] = TSS = 0
		for (i = 1; i <= n; i++) { r = y[i] - A[k] - B[k] * f(k, x[i]); RSS[k] += r * r; TSS += (y[i] - sy / n) ^ 2 }
		R2[k] = TSS > 0 ? 1 - RSS[k] / TSS : 1
	}
	END {
		if (n < 3) { printf "too few N to fit"; exit }
		ls(1); ls(2)
		k = RSS[1] <= RSS[2] ? 1 : 2
		change = B[k] * (f(k, xmax) - f(k, xmin))
		tol = 0.10 * (y0 < 0 ? -y0 : y0); if (tol < 0.05) tol = 0.05
		if ((change < 0 ? -change : change) < tol)
			printf "flat (%+.3f s from N = %d to %d, within %.3f s; %+.3f s per doubling of N)", change, xmin, xmax, tol, B[1]
		else if (k == 1)
			printf "log N: %.3f %+.3f s per doubling of N (R^2 %.2f; linear %+.4f s per node, R^2 %.2f)", A[1], B[1], R2[1], B[2], R2[2]
		else
			printf "linear: %.3f %+.4f s per node (R^2 %.2f; log N %+.3f s per doubling, R^2 %.2f)", A[2], B[2], R2[2], B[1], R2[1]
	}' "$ADDED"
}

# goals LATENCY: smallest N and the goal's N (else the largest up to it),
# start and end added at each, the start ratio's lowest and highest over N
goals() {
	awk -v lat="$1" -v nmax="$GOAL_N" '
	$2 == lat && $1 <= nmax {
		if (!seen || $1 < n0) { n0 = $1; s0 = $9; e0 = $10 }
		if (!seen || $1 > n1) { n1 = $1; s1 = $9; e1 = $10 }
		r = $4 > 0 ? $3 / $4 : 0
		if (!seen || r < rmin) rmin = r
		if (!seen || r > rmax) rmax = r
		seen = 1
	}
	END { printf "%d %d %.4f %.4f %.4f %.4f %.3f %.3f\n", n0, n1, s0, s1, e0, e1, rmin, rmax }' "$ADDED"
}

table() {
	awk '{
		if ($2 != last) {
			if (last != "") print ""
			printf "Latency **%s**:\n\n", $2
			print "| N | start --mckernel | start plain | ratio | added | end --mckernel | end plain | ratio | added | slowest node prologue | start added - slowest prologue |"
			print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
			last = $2
		}
		printf "| %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.3f | %.2f | %.3f | %.3f | %.3f |\n", $1, $3, $4, ($4 > 0 ? $3 / $4 : 0), $9, $5, $6, ($6 > 0 ? $5 / $6 : 0), $10, $7, $9 - $7
	}' "$ADDED"
}

lats=$(awk '{ if (!s[$2]++) print $2 }' "$ADDED")
: >"$DIR/scale.results"
{
	echo "# How the cost of --mckernel grows with the job (make bench-scale)"
	echo
	sed -n 's/^# \([0-9][0-9][0-9][0-9]-.*\)/Run: \1./p' "$DAT"
	echo "Seconds, medians of the rounds; *added* = --mckernel minus plain; start ="
	echo "srun called until the last rank runs; end = last rank ended until every"
	echo "node is idle again; slowest node prologue = the longest mck-prologue of"
	echo "the job (its lifecycle log). Latency: the IHK double's model: zero;"
	echo "fixed = every IHK step at the middle of its observed range on every"
	echo "node; observed = the observed ranges with their jitter."
	echo
	table
	echo
	echo "How the added time grows (fit over N up to $GOAL_N):"
	echo
	for lat in $lats; do
		# shellcheck disable=SC2046
		set -- $(goals "$lat")
		echo "- latency $lat: start: $(fit "$lat" 9); end: $(fit "$lat" 10)."
		awk -v lat="$lat" -v n0="$1" -v n1="$2" -v s0="$3" -v s1="$4" -v e0="$5" -v e1="$6" -v rmin="$7" -v rmax="$8" \
			-v res="$DIR/scale.results" 'BEGIN {
			g = s0 != 0 ? (s1 - s0) / (s0 < 0 ? -s0 : s0) : 0
			printf "  Start added at N = %d vs N = %d: %.3f s vs %.3f s (%+.1f%%); end added %.3f s vs %.3f s; start ratio to plain %.2f to %.2f over N.\n",
				n1, n0, s1, s0, 100 * g, e1, e0, rmin, rmax
			printf "RESULT|6 scale@%s|start added, N = %d vs N = %d|%.3f|s|%.3f|%.4f|<= 1.10|%s\n", lat, n1, n0, s1, s0, (s0 != 0 ? s1 / s0 : 0), (g <= 0.10 ? "met" : "MISSED") >>res
			printf "RESULT|6 scale@%s|end added, N = %d vs N = %d|%.3f|s|%.3f|%.4f||\n", lat, n1, n0, e1, e0, (e0 != 0 ? e1 / e0 : 0) >>res
			printf "RESULT|6 scale@%s|start ratio to plain, highest vs lowest over N|%.3f||%.3f|%.4f||\n", lat, rmax, rmin, (rmin > 0 ? rmax / rmin : 0) >>res
		}'
		# beyond the goal's N: where the machine stops
		awk -v lat="$lat" -v g="$GOAL_N" -v s0="$3" -v n0="$1" '$2 == lat && $1 > g {
			printf "  Beyond N = %d: at N = %d the start added is %.3f s (%+.1f%% of N = %d), the slowest prologue %.3f s.\n",
				g, $1, $9, (s0 != 0 ? 100 * ($9 - s0) / (s0 < 0 ? -s0 : s0) : 0), n0, $7 }' "$ADDED"
	done
} >"$DIR/scale.md"
cat "$DIR/scale.results"

# The plot, by N (log2 axis), one line per latency: the start's added
# seconds relative to the smallest N (with the 1.10 goal), the start's
# added seconds with the slowest node's prologue, the end's added seconds.
if command -v gnuplot >/dev/null; then
	{
		echo "set terminal pngcairo size 1500,500 font ',10' noenhanced"
		echo "set output '$DIR/scale.png'"
		echo "set multiplot layout 1,3 title 'slurm-mckernel: what --mckernel adds to a job of N nodes (medians; IHK double latency zero, fixed, observed)'"
		echo "set logscale x 2; set xlabel 'nodes (N)'; set grid; set key top left"
		echo "set ylabel 'start added / start added at the smallest N'; set yrange [0.9:*]"
		printf "plot 1.10 with lines dashtype 3 lc rgb 'red' title 'goal 1.10'"
		for lat in $lats; do
			b=$(awk -v l="$lat" '$2 == l { if (!s || $1 < n) { n = $1; v = $9 }; s = 1 } END { print v }' "$ADDED")
			# a model whose added time is next to nothing has no meaningful ratio
			awk -v b="$b" 'BEGIN { exit !(b > 1) }' || continue
			printf ", '%s' using 1:(strcol(2) eq '%s' ? \$9 / %s : 1/0) with linespoints title 'start, %s'" "$ADDED" "$lat" "$b" "$lat"
		done
		echo
		echo "set autoscale y; set key bottom right"
		echo "set logscale y; set ylabel 'seconds added to the start (log)'"
		printf "plot "
		sep=
		for lat in $lats; do
			printf "%s'%s' using 1:(strcol(2) eq '%s' && \$9 > 0 ? \$9 : 1/0) with linespoints title 'start added, %s', '%s' using 1:(strcol(2) eq '%s' && \$7 > 0 ? \$7 : 1/0) with lines dashtype 2 title 'slowest prologue, %s'" \
				"$sep" "$ADDED" "$lat" "$lat" "$ADDED" "$lat" "$lat"
			sep=", "
		done
		echo
		echo "unset logscale y; set ylabel 'seconds added to the end (last rank to idle)'"
		printf "plot "
		sep=
		for lat in $lats; do
			printf "%s'%s' using 1:(strcol(2) eq '%s' ? \$10 : 1/0) with linespoints title 'end added, %s'" "$sep" "$ADDED" "$lat" "$lat"
			sep=", "
		done
		echo
		echo "unset multiplot"
	} | gnuplot || { echo "scale-report: gnuplot failed" >&2; exit 1; }
fi
