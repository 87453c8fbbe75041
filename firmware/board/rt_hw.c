/* rt/rt.c for the hw backend of the all-backends image (bench_all.c, see rt.h), placed
 * (board.h) where it is in the per-backend image. */
#define BACKEND_HW
#define RT_UNITY
#include "board.h"
BOARD_PLACE(BOARD_TEXT_PAD_HW, BOARD_BSS_PAD_HW)
#include "../rt/rt.c"
