/* SPDX-License-Identifier: MIT */
#include "svg.h"

void svg_begin(FILE *f, double w, double h) {
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                   "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                w, h, w, h);
}

void svg_end(FILE *f) {
        fputs("</svg>\n", f);
}

void svg_escape(FILE *f, const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
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
                        fputc(c, f);
        }
}

void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *colour, const char *s) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">", x, y, anchor, size,
                colour);
        svg_escape(f, s);
        fputs("</text>\n", f);
}
