#include "http/form_error.h"

namespace viper::http {

uint16_t status_of(FormError e) {
  switch (e) {
    case FormError::None:
      return 200;
    case FormError::TooManyParts:
    case FormError::PartHeaderTooLarge:
    case FormError::TooManyPartHeaders:
    case FormError::FieldTooLarge:
    case FormError::TooManyFields:
    case FormError::BodyTooLarge:
      return 413;
    default:
      return 400;
  }
}

std::string_view detail_of(FormError e) {
  switch (e) {
    case FormError::None:
      return "OK";
    case FormError::NotMultipart:
      return "Content-Type is not multipart/form-data";
    case FormError::NoBoundary:
      return "Missing boundary in multipart/form-data Content-Type";
    case FormError::BadBoundary:
      return "Invalid boundary in multipart/form-data Content-Type";
    case FormError::BadDelimiter:
      return "Invalid multipart body: bytes after a boundary";
    case FormError::BadPartHeader:
      return "Invalid multipart body: malformed part header";
    case FormError::RepeatedPartHeader:
      return "Invalid multipart body: repeated Content-Disposition or Content-Type in a part";
    case FormError::NoContentDisposition:
      return "Invalid multipart body: a part has no Content-Disposition";
    case FormError::BadContentDisposition:
      return "Invalid multipart body: malformed Content-Disposition";
    case FormError::NoPartName:
      return "Invalid multipart body: a part's Content-Disposition has no name";
    case FormError::BadFilename:
      return "Invalid multipart body: malformed filename*";
    case FormError::Truncated:
      return "Invalid multipart body: it ends before the closing boundary";
    case FormError::TooManyParts:
      return "Too many parts in multipart body";
    case FormError::PartHeaderTooLarge:
      return "Multipart part headers too large";
    case FormError::TooManyPartHeaders:
      return "Too many headers in a multipart part";
    case FormError::FieldTooLarge:
      return "Form field too large";
    case FormError::TooManyFields:
      return "Too many form fields";
    case FormError::BodyTooLarge:
      return "Request body too large";
  }
  return "Invalid form body";
}

}  // namespace viper::http
