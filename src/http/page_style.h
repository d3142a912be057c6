/* The look every HTML page eisd makes shares (listings, error pages):
 * the system font stack, light and dark colours by the reader's setting,
 * one centred column. A static string: pages may reference it without a
 * copy. */
#ifndef EISD_PAGE_STYLE_H
#define EISD_PAGE_STYLE_H

#define HTTP_PAGE_STYLE \
	":root{color-scheme:light dark;--fg:#1d2025;--muted:#69707a;--bg:#fff;--line:#e3e6ea;" \
	"--link:#0b57d0;--hover:#f2f5fa}" \
	"@media (prefers-color-scheme:dark){:root{--fg:#e5e7ea;--muted:#9aa1aa;--bg:#15171b;" \
	"--line:#2b2f36;--link:#8ab4f8;--hover:#1d2128}}" \
	"*{box-sizing:border-box}" \
	"body{margin:0;background:var(--bg);color:var(--fg);" \
	"font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}" \
	"main{max-width:60rem;margin:0 auto;padding:1.5rem 1rem 3rem}" \
	"h1{font-size:1.35rem;font-weight:600;margin:0 0 1rem;overflow-wrap:anywhere}" \
	"a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}" \
	"code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;" \
	"background:var(--hover);padding:.1em .3em;border-radius:3px}" \
	"footer{margin-top:1rem;color:var(--muted);font-size:.85rem}" \
	"@media (max-width:40rem){main{padding:1rem .5rem 2rem}}"

#endif
