/* nm_web_assets.h - the dashboard's files, embedded at build time by
 * web/embed.cmake (the page, its script and style, vendored uPlot). */
#ifndef NM_WEB_ASSETS_H
#define NM_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *url;  /* "/", "/app.js", "/vendor/uPlot.iife.min.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
} nm_web_asset_t;

extern const nm_web_asset_t nm_web_assets[];
extern const size_t nm_web_nassets;

#endif
