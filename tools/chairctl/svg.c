/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <string.h>

#include "svg.h"
#include "untrusted-file.h"

void svg_begin(FILE *f, double w, double h) {
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                   "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                w, h, w, h);
}

void svg_end(FILE *f) {
        fputs("</svg>\n", f);
}

/* U+FFFE and U+FFFF are UTF-8 but no XML 1.0 character. */
static bool xml_noncharacter(const unsigned char *s, size_t n) {
        return n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf);
}

void svg_escape(FILE *f, const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t len = strlen(s);

        for (size_t i = 0; i < len;) {
                unsigned char c = u[i];
                size_t n = utf8_seq(u + i, len - i);

                if (!n || xml_noncharacter(u + i, n)) {
                        /* U+FFFD for each byte that is not UTF-8 (a cut sequence, a stray byte). */
                        fputs("\xef\xbf\xbd", f);
                        i += n ? n : 1;
                        continue;
                }
                if (c == '<')
                        fputs("&lt;", f);
                else if (c == '&')
                        fputs("&amp;", f);
                else if (c == '>')
                        fputs("&gt;", f);
                else if (c == '"')
                        fputs("&quot;", f);
                else if (c < 0x20 || c == 0x7f)
                        fputc('?', f);
                else
                        fwrite(u + i, 1, n, f);
                i += n;
        }
}

void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *colour, const char *s) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">", x, y, anchor, size,
                colour);
        svg_escape(f, s);
        fputs("</text>\n", f);
}
