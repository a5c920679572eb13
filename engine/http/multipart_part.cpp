#include "http/multipart_part.h"

#include <cstring>

#include "http/header_params.h"

namespace viper::http {

namespace {

// RFC 9110 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c);
}

// field-value bytes: HTAB, SP, VCHAR, obs-text (as the request parser).
bool is_value_byte(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Internet Explorer sent "C:\dir\file.txt"; python-multipart keeps what follows the last '\'.
std::string_view strip_ie_path(std::string_view f) {
  bool drive = f.size() >= 3 && f[1] == ':' && f[2] == '\\';
  bool unc = f.size() >= 2 && f[0] == '\\' && f[1] == '\\';
  if (!drive && !unc) return f;
  return f.substr(f.rfind('\\') + 1);
}

struct Scratch {
  char* at;
  // Unescapes a quoted value into the scratch buffer (a token needs nothing).
  std::string_view unquote(const HeaderParam& p) {
    if (!p.quoted) return p.value;
    std::string_view s = unescape_quoted(p.value, at);
    if (s.data() == at) at += s.size();
    return s;
  }
};

FormError parse_disposition(std::string_view value, Scratch* scratch, MultipartPart* out) {
  out->disposition = header_value_type(value);
  if (out->disposition.empty()) return FormError::BadContentDisposition;
  for (char c : out->disposition)
    if (!is_tchar(c)) return FormError::BadContentDisposition;
  bool has_name = false, has_filename = false, has_ext = false;
  std::string_view filename, ext;
  size_t pos = 0;
  HeaderParam p;
  int r;
  while ((r = header_param_next(value, &pos, &p)) == 1) {
    if (iequals(p.name, "name")) {
      if (has_name) return FormError::BadContentDisposition;
      has_name = true;
      out->name = scratch->unquote(p);
    } else if (iequals(p.name, "filename")) {
      if (has_filename) return FormError::BadContentDisposition;
      has_filename = true;
      filename = strip_ie_path(scratch->unquote(p));
    } else if (iequals(p.name, "filename*")) {
      if (has_ext) return FormError::BadContentDisposition;
      has_ext = true;
      if (p.quoted) return FormError::BadFilename;
      int n = decode_ext_value(p.value, scratch->at);
      if (n < 0) return FormError::BadFilename;
      ext = std::string_view(scratch->at, size_t(n));
      scratch->at += n;
    }
  }
  if (r < 0) return FormError::BadContentDisposition;
  if (!has_name) return FormError::NoPartName;
  out->is_file = has_filename || has_ext;
  out->filename = has_ext ? ext : filename;
  return FormError::None;
}

}  // namespace

FormError parse_part_headers(std::string_view block, uint32_t max_headers, char* scratch_buf,
                             MultipartPart* out) {
  *out = MultipartPart();
  out->headers = block;
  Scratch scratch{scratch_buf};
  bool has_disposition = false, has_type = false;
  std::string_view disposition;
  uint32_t count = 0;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) return FormError::BadPartHeader;  // not from the parser
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + 2;
    if (++count > max_headers) return FormError::TooManyPartHeaders;
    size_t i = 0;
    while (i < line.size() && is_tchar(line[i]))
      i++;
    if (i == 0 || i == line.size() || line[i] != ':') return FormError::BadPartHeader;
    std::string_view name = line.substr(0, i);
    std::string_view value = line.substr(i + 1);
    for (char c : value)
      if (!is_value_byte(c)) return FormError::BadPartHeader;
    value = trim(value);
    if (iequals(name, "content-disposition")) {
      if (has_disposition) return FormError::RepeatedPartHeader;
      has_disposition = true;
      disposition = value;
    } else if (iequals(name, "content-type")) {
      if (has_type) return FormError::RepeatedPartHeader;
      has_type = true;
      out->content_type = value;
    }
  }
  if (!has_disposition) return FormError::NoContentDisposition;
  return parse_disposition(disposition, &scratch, out);
}

bool part_header_next(std::string_view block, size_t* pos, std::string_view* name,
                      std::string_view* value) {
  if (*pos >= block.size()) return false;
  size_t eol = block.find("\r\n", *pos);
  if (eol == std::string_view::npos) eol = block.size();
  std::string_view line = block.substr(*pos, eol - *pos);
  *pos = eol + 2;
  size_t colon = line.find(':');
  *name = line.substr(0, colon);
  *value = colon == std::string_view::npos ? std::string_view() : trim(line.substr(colon + 1));
  return true;
}

}  // namespace viper::http
