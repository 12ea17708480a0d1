#ifndef LDEDGE_CARCHIVE_SHIM_H
#define LDEDGE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

/* AE_IFREG / AE_IFDIR are cast macros Swift does not import; expose typed constants. */
static const unsigned int ldedge_ae_ifreg = AE_IFREG;
static const unsigned int ldedge_ae_ifdir = AE_IFDIR;
static const unsigned int ldedge_ae_iflnk = AE_IFLNK;
#endif
