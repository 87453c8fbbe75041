/* rt/rt.c for the sw backend of the all-backends image (bench_all.c, see rt.h), placed
 * (board.h) where it is in the per-backend image. */
#define BACKEND_SW
#define RT_UNITY
#include "board.h"
BOARD_PLACE(BOARD_TEXT_PAD_SW, BOARD_BSS_PAD_SW)
#include "../rt/rt.c"
