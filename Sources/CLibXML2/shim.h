#ifndef MEZHVED_CLIBXML2_SHIM_H
#define MEZHVED_CLIBXML2_SHIM_H
/* Debian's libxml2 is built with ICU; its encoding.h then includes <unicode/ucnv.h>, whose
 * UErrorCode clashes with Foundation's private ICU copy in a clean build. We use no ICU
 * converters, so hide them before the other headers are read. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlschemas.h>
#endif
