/* rt/rt_util.c for the hw backend of the all-backends image (bench_all.c, see rt.h). */
#define BACKEND_HW
#define RT_UNITY
#include "../rt/rt_util.c"
