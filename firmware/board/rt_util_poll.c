/* rt/rt_util.c for the poll backend of the all-backends image (bench_all.c, see rt.h). */
#define BACKEND_POLL
#define RT_UNITY
#include "../rt/rt_util.c"
