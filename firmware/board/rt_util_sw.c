/* rt/rt_util.c for the sw backend of the all-backends image (bench_all.c, see rt.h). */
#define BACKEND_SW
#define RT_UNITY
#include "../rt/rt_util.c"
