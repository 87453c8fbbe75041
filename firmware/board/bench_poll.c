/* rt/bench.c on the poll backend for the all-backends image (bench_all.c): its main
 * becomes bench_main_poll. Each file of the runtime is a translation unit of its own, as
 * in the per-backend images, so that the code of every function is the same there and
 * here (one unit with everything would inline the runtime into the benchmark). */
#define BACKEND_POLL
#define RT_UNITY
#define main bench_main_poll
#include "../rt/bench.c"
