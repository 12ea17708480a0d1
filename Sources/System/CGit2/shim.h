#ifndef LDEDGE_CGIT2_SHIM_H
#define LDEDGE_CGIT2_SHIM_H
#include <git2.h>
#endif
