// Reading input images and prior maps, writing rendered images.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace borex::io {

// Any image OpenCV can decode, as CV_32FC3 RGB in [0, 1]. Grayscale becomes three equal
// channels; an alpha channel is dropped without compositing and EXIF orientation is ignored
// (both as PIL's Image.open(...).convert("RGB") does, which the Python reference code uses).
// 8-bit values are divided by 255, 16-bit by 65535; float images are clipped to [0, 1].
// InputError: "file does not exist", "cannot decode image (not a supported image format?)".
cv::Mat ReadImageRgb(const std::string& path);

// A prior saliency map i0 as CV_32FC1: from .npy (ReadNpyMap) or from a grayscale image (8-bit
// -> [0, 1], 16-bit -> [0, 1], float as is). A colour image is accepted only if its channels
// are equal (a grayscale map saved as RGB); otherwise InputError "prior image must be
// grayscale". Every value must be finite: InputError "prior.npy: 3 of 50176 values are NaN or
// infinite".
cv::Mat ReadPriorMap(const std::string& path);

// A video prior or saliency map: a (T, H, W) .npy of exactly `frames` frames, stacked as
// (T·H) x W CV_32FC1 (see model::ModelInfo). InputError naming the file when the frame count
// differs ("has 8 frames but the clip has 16") or a value is not finite.
cv::Mat ReadClipMap(const std::string& path, int frames);

// The most pixels an input image may declare (8192 x 8192): larger images are rejected before
// decoding, as a corrupt or hostile header can declare 32768 x 32768 16-bit RGBA (8 GiB).
constexpr long long kMaxImagePixels = 1LL << 26;

// Throws InputError naming the file when the width x height that its header declares exceeds
// kMaxImagePixels (read from the headers of PNG, JPEG, BMP, PNM/PAM and PFM files; other formats
// are left to OpenCV's own limits), or when cv::imread would hand it to OpenCV's DICOM decoder
// (GDCM aborts the process on malformed files; borex reads no DICOM), or when a PNG or JPEG file
// is cut short (libjpeg would fill the missing rows with grey). Called by the image readers before
// cv::imread.
void CheckImageFile(const std::string& path);

// A CV_8UC3 BGR (or CV_8UC1) image encoded by the extension of `path` (.png, .jpg, ...).
// OutputError naming `path` if the extension is not an image format OpenCV can write.
std::string EncodeImage(const std::string& path, const cv::Mat& bgr8);
// EncodeImage, written atomically to `path`.
void WriteImage(const std::string& path, const cv::Mat& bgr8);

}  // namespace borex::io
