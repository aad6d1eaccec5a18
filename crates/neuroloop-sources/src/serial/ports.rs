//! The serial ports of this machine, with their USB vendor and product
//! where the system says.

/// One serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// The path or name to open.
    pub name: String,
    /// `vendor:product` in hex, the maker and product names, for a USB
    /// port.
    pub usb: Option<String>,
}

/// Every serial port found (empty where none, or the system cannot say).
#[must_use]
pub fn list_ports() -> Vec<PortInfo> {
    let Ok(ports) = serialport::available_ports() else {
        return Vec::new();
    };
    ports
        .into_iter()
        .map(|p| PortInfo {
            name: p.port_name,
            usb: match p.port_type {
                serialport::SerialPortType::UsbPort(u) => Some(
                    format!(
                        "{:04x}:{:04x} {} {}",
                        u.vid,
                        u.pid,
                        u.manufacturer.unwrap_or_default(),
                        u.product.unwrap_or_default()
                    )
                    .trim_end()
                    .to_owned(),
                ),
                _ => None,
            },
        })
        .collect()
}
