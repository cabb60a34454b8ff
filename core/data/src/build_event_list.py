#!/usr/bin/env python3
"""Authoring source and generator for the bundled event list (事件清单) of
Wuzhong district (吴中区), Suzhou -- jurisdiction 320506.

Run from anywhere (paths are resolved relative to this file):

    python3 core/data/src/build_event_list.py

It writes ``core/data/event-list.json`` deterministically (byte-identical on
every run) with ``header.sha256`` filled in, after asserting every consistency
check the Rust loader applies (see docs/EVENT_LIST.md).  Standard library only.

Authoring format (the EVENT_LIST table below)
---------------------------------------------
``C 01``                      starts a category (must be one of CATEGORIES)
``S zh | en | syns | profile | options``
                              a subtype (细类); codes are assigned in order
                              (CC-001, CC-002, ...), so never insert in the
                              middle of a published list -- append instead.
``- zh | en | syns``          a problem (问题) of the preceding subtype,
                              numbered 01, 02, ... within it.
``syns`` is a comma-separated list of colloquial synonyms (may be empty).
``options`` are space-separated key=value overrides of the rule profile:
    g=06010          gbt_event_code (GB/T 47678.5-2026 event row)
    c=01037,01038    component.types (component required)
    pe=3             police_element id
    a=k1,k2          attributes (keys of ATTRIBUTES), ``a=-`` for none
    r=ivgp           roles: i inspector, v volunteer, g grid_leader,
                     p police_officer
    ph=1-9           evidence min_photos-max_photos
    acc=30           location.max_accuracy_m
    og=warning       location.own_grid (error|warning|none)
    pin=0|1          location.manual_pin_allowed
    os=0|1           on_site_disposal (after_photo_to_close_on_spot follows)
    lv=town          handling.level (grid|town|district)
    h=2/24           handling.accept_hours/dispose_hours
"""

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]                      # /work/main
OUT = REPO / "core" / "data" / "event-list.json"
GBT_CSV = REPO.parent / "shared" / "reference" / "gbt47678-5-2026.csv"

HEADER = {
    "schema_version": 1,
    "list_version": "WZ-2026.11",
    "effective_date": "2026-11-01",
    "jurisdiction": {"code": "320506", "name_zh": "苏州市吴中区",
                     "name_en": "Wuzhong District, Suzhou"},
}
EXPECTED = {"categories": 4, "subtypes": 264, "problems": 645,
            "component_types": 153, "police_elements": 34}

CATEGORIES = [
    ("01", "社会稳定", "Social stability"),
    ("02", "环境保护", "Environmental protection"),
    ("03", "安全生产", "Production safety"),
    ("04", "便民服务", "Convenience services"),
]

# --------------------------------------------------------------------------
# 公安要素清单 -- 34 police elements (id, zh, en)
# --------------------------------------------------------------------------
POLICE_ELEMENTS = [
    (1, "可疑人员", "Suspicious person"),
    (2, "可疑物品", "Suspicious item"),
    (3, "涉毒线索", "Drug-related clue"),
    (4, "涉黄线索", "Prostitution-related clue"),
    (5, "涉赌线索", "Gambling-related clue"),
    (6, "重点人员动态", "Movements of key persons under watch"),
    (7, "出租房屋异常", "Rental housing anomaly"),
    (8, "寄递物流异常", "Courier and logistics anomaly"),
    (9, "非法改装车辆", "Illegally modified vehicle"),
    (10, "无人机黑飞", "Unauthorised drone flight"),
    (11, "管制刀具", "Controlled knives"),
    (12, "枪爆物品线索", "Firearms and explosives clue"),
    (13, "电信网络诈骗线索", "Telecom and online fraud clue"),
    (14, "非法集资线索", "Illegal fundraising clue"),
    (15, "传销线索", "Pyramid selling clue"),
    (16, "邪教活动线索", "Cult activity clue"),
    (17, "矛盾纠纷激化苗头", "Signs of dispute escalation"),
    (18, "精神障碍患者肇事肇祸风险",
     "Risk of harm by persons with severe mental disorders"),
    (19, "流浪乞讨人员", "Vagrants and beggars"),
    (20, "走失人员", "Missing persons"),
    (21, "非法聚集苗头", "Signs of illegal gathering"),
    (22, "个人极端倾向", "Signs of individual extremism"),
    (23, "盗窃线索", "Theft clue"),
    (24, "非法营运车辆", "Unlicensed passenger transport"),
    (25, "非法行医线索", "Illegal medical practice clue"),
    (26, "涉黑涉恶线索", "Gang and organised crime clue"),
    (27, "非法宗教活动", "Illegal religious activity"),
    (28, "涉恐涉暴线索", "Terrorism and violence clue"),
    (29, "网吧违规接纳未成年人", "Internet café admitting minors"),
    (30, "旅馆未实名登记住宿", "Hotel guests not registered under real name"),
    (31, "废旧物品收购异常", "Suspicious scrap purchasing"),
    (32, "娱乐场所治安隐患", "Public-order hazard at entertainment venue"),
    (33, "酒驾及无证驾驶线索", "Drink-driving or unlicensed driving clue"),
    (34, "三非外国人线索",
     "Foreigners' illegal entry, stay or employment clue"),
]

# --------------------------------------------------------------------------
# Component types: the 153 kind=component rows of GB/T 47678.5-2026
# (code, major_class_code, major_class, name_zh as in the CSV) + English gloss.
# Checked against the CSV at generation time when the CSV is present.
# --------------------------------------------------------------------------
MAJOR_CLASSES = {"01": "市政公用设施", "02": "交通设施", "03": "市容环卫设施",
                 "04": "园林绿化设施", "05": "其他管理部件"}
COMPONENTS = """
01001 供水井盖 | Water supply manhole cover
01002 污水井盖 | Sewage manhole cover
01003 雨水井盖 | Stormwater manhole cover
01004 雨水箅子 | Storm drain grate
01005 电力井盖 | Power manhole cover
01006 路灯井盖 | Street lighting manhole cover
01007 通信井盖 | Telecom manhole cover
01008 电视井盖 | Cable TV manhole cover
01009 网络井盖 | Network manhole cover
01010 热力井盖 | District heating manhole cover
01011 燃气井盖 | Gas manhole cover
01012 公安井盖 | Public security manhole cover
01013 消防设施 | Fire-fighting facility
01014 园林井盖 | Landscaping manhole cover
01015 信号灯电源井盖 | Traffic signal power manhole cover
01017 电缆井盖 | Cable manhole cover
01018 化粪池井盖 | Septic tank manhole cover
01019 中水井盖 | Reclaimed water manhole cover
01020 公交井盖 | Public transport manhole cover
01021 输油（气）井盖 | Oil (gas) pipeline manhole cover
01022 特殊井盖 | Special-purpose manhole cover
01023 不明井盖 | Unidentified manhole cover
01024 水井 | Water well
01025 供水器 | Water supply standpipe
01026 沟槽盖板 | Trench cover plate
01027 通信交接箱 | Telecom cross-connect cabinet
01028 电力设施 | Power facility
01029 电力设施标识牌 | Power facility sign
01030 电力立杆 | Power pole
01031 通信立杆 | Telecom pole
01032 公交立杆 | Trolleybus pole
01033 特殊立杆 | Special-purpose pole
01034 不明立杆 | Unidentified pole
01035 旗杆 | Flagpole
01036 输油（气）标志 | Oil (gas) pipeline marker
01037 路灯 | Street lamp
01038 地灯 | Ground lamp
01039 景观灯 | Landscape lamp
01040 报刊亭 | Newspaper kiosk
01041 电话亭 | Telephone booth
01042 邮筒 | Post box
01043 信息亭 | Information kiosk
01044 售货亭 | Retail kiosk
01045 自动售货机 | Vending machine
01046 户外健身设施 | Outdoor fitness equipment
01047 高压线铁塔 | High-voltage transmission tower
01048 变压器（箱） | Transformer (box)
01049 燃气调压站（箱） | Gas pressure regulating station (box)
01050 监控电子眼设施 | Surveillance camera facility
01051 治安岗亭 | Police sentry box
01052 休息亭 | Rest pavilion
01053 自助缴费机 | Self-service payment machine
01054 充电桩 | Charging point
01055 防蚊闸 | Anti-mosquito drain gate
01056 跨河管道 | River-crossing pipeline
01057 露天燃气管道 | Exposed gas pipeline
01058 晒衣架 | Clothes-drying rack
01059 旧衣物回收箱 | Used-clothing collection bin
01060 路灯配电箱 | Street lighting distribution box
01061 露天供热管道 | Exposed heating pipeline
01062 通信基站 | Telecom base station
01063 水塔 | Water tower
01064 牌楼（门楼） | Memorial archway (gate tower)
01065 管理责任公示牌 | Management responsibility notice board
01066 紧急报警点SOS | SOS emergency call point
01067 防汛监测设施 | Flood monitoring facility
01068 水鹤 | Water crane (tanker-filling hydrant)
01069 水域附属设施 | Waterway ancillary facility
01070 水域护栏 | Waterside railing
01071 防汛墙 | Flood wall
01072 排水泵站 | Drainage pumping station
01073 雨污水排放口 | Stormwater or sewage outfall
01074 综合管廊附属设施 | Utility tunnel ancillary facility
01075 快递柜 | Parcel locker
01076 公用电梯 | Public elevator
01077 综合杆 | Multi-function pole
02001 停车场 | Car park
02002 立体车库 | Mechanical multi-storey car park
02003 停车计费设备 | Parking meter
02004 公交站设施 | Bus stop facility
02005 出租车停靠站 | Taxi stand
02006 过街天桥 | Pedestrian overpass
02007 地下通道 | Pedestrian underpass
02008 立交桥 | Interchange flyover
02009 跨河桥 | River bridge
02010 交通标志牌及标线 | Traffic signs and road markings
02011 限高架标志 | Height-limit gantry sign
02012 路名牌 | Street name sign
02013 地名牌 | Place name sign
02014 交通信号灯 | Traffic signal light
02015 交通信号设施 | Traffic signal equipment
02016 交通岗亭 | Traffic police booth
02017 交通护栏 | Traffic guardrail
02018 防撞桶 | Crash barrel
02019 安全岛 | Traffic island
02020 人行横道桩 | Pedestrian crossing bollard
02021 便道桩 | Sidewalk bollard
02022 柔性隔离体 | Flexible delineator
02023 道路信息显示屏 | Road information display
02024 道路隔音屏 | Road noise barrier
02025 非机动车停放点 | Non-motor vehicle parking area
02026 自行车租赁点 | Bicycle rental station
02027 存车支架 | Bicycle rack
02028 铁道口设施 | Railway level-crossing facility
02029 栈桥 | Trestle jetty
02030 水域标示牌 | Waterway sign
02031 港监设施 | Harbour supervision facility
02032 轨道交通设施 | Rail transit facility
02033 交通反视镜 | Traffic convex mirror
02034 无障碍设施 | Accessibility facility
02035 应急避难指示牌 | Emergency shelter sign
02036 救助站指示牌 | Relief station sign
02037 文物建筑标志牌 | Heritage building sign
02038 门（楼号）牌 | Door (building number) plate
02039 公安指示牌 | Police direction sign
02040 景区标识牌 | Scenic area sign
02041 停车信息显示屏 | Parking information display
02042 铁路桥涵 | Railway bridge and culvert
02043 减速带 | Speed bump
02044 公路隧道 | Road tunnel
03001 公共厕所 | Public toilet
03002 公厕指示牌 | Public toilet sign
03003 化粪池 | Septic tank
03004 垃圾间（楼） | Refuse room (building)
03005 垃圾箱 | Litter bin
03006 户外广告 | Outdoor advertisement
03007 牌匾标识 | Shop sign and signboard
03008 宣传栏 | Notice board
03009 气象监测站 | Weather monitoring station
03010 环保监测站 | Environmental monitoring station
03011 污水口监测站 | Outfall monitoring station
03012 污水监测器 | Sewage monitor
03013 噪声显示屏 | Noise display screen
03014 环卫工具间（箱） | Sanitation tool room (box)
03015 宠物拾便纸箱 | Pet waste bag dispenser
03016 烟头收集器或灭烟处 | Cigarette-butt bin or extinguishing point
04001 古树名木 | Ancient and famous tree
04002 行道树 | Street tree
04003 独立树 | Standalone tree
04004 护树设施 | Tree protection facility
04005 花架花钵 | Flower stand and planter
04006 雕塑 | Sculpture
04007 街头座椅 | Street bench
04008 绿地护栏 | Green space railing
04009 绿地附属设施 | Green space ancillary facility
04010 喷泉 | Fountain
04011 树池树穴 | Tree pit
04012 高架挂箱 | Elevated hanging planter
04013 绿地 | Green space
04014 林地及林地管护设施 | Woodland and woodland management facility
05002 公房地下室 | Public housing basement
05003 车辆加油（气、电）站 | Vehicle fuelling (gas, charging) station
05009 文物古迹 | Cultural heritage site
"""

# --------------------------------------------------------------------------
# Attribute library (Open311 service-definition style).  Referenced by key.
# (code, datatype, required, label_zh, label_en, extra)
#   extra: {"values": [(key, zh, en), ...]} for choice types,
#          {"max_length": n} for string/text, {"min": a, "max": b} for number
# --------------------------------------------------------------------------
ATTRIBUTES = {
    "involved_people": ("number", True, "纠纷涉及人数", "Number of people involved",
                        {"min": 2, "max": 500}),
    "dispute_stage": ("single_choice", True, "纠纷阶段", "Dispute stage", {"values": [
        ("new", "新发纠纷", "Newly arisen"),
        ("mediating", "调解中", "Under mediation"),
        ("repeated", "多次调解未果", "Repeated mediation failed"),
        ("escalating", "有激化倾向", "Tending to escalate")]}),
    "people_count": ("number", False, "涉及人数", "Number of people affected",
                     {"min": 1, "max": 1000}),
    "wage_amount": ("number", False, "欠薪金额（元）", "Unpaid wages (CNY)",
                    {"min": 1, "max": 100000000}),
    "company_name": ("string", False, "企业（单位）名称", "Enterprise (organisation) name",
                     {"max_length": 100}),
    "amount_involved": ("number", False, "涉及金额（元）", "Amount involved (CNY)",
                        {"min": 0, "max": 1000000000}),
    "petition_target": ("single_choice", False, "拟上访去向", "Intended petition destination", {"values": [
        ("district", "区级", "District"),
        ("city", "市级", "City"),
        ("province", "省级", "Province"),
        ("beijing", "进京", "Beijing")]}),
    "gathering_size": ("number", True, "聚集人数", "Number of people gathered",
                       {"min": 1, "max": 10000}),
    "found_time": ("datetime", False, "发现时间", "Time discovered", {}),
    "clue_source": ("single_choice", True, "线索来源", "Source of the clue", {"values": [
        ("patrol", "巡查发现", "Found on patrol"),
        ("resident", "群众反映", "Reported by residents"),
        ("online", "网络发现", "Found online")]}),
    "person_desc": ("text", False, "人员体貌特征", "Physical description of the person",
                    {"max_length": 500}),
    "situation_detail": ("text", False, "情况说明", "Description of the situation",
                         {"max_length": 1000}),
    "rental_rooms": ("number", False, "出租间数", "Number of rooms let",
                     {"min": 1, "max": 200}),
    "occupants": ("number", False, "居住人数", "Number of occupants",
                  {"min": 1, "max": 500}),
    "vehicle_plate": ("string", False, "车牌号码", "Licence plate number",
                      {"max_length": 16}),
    "scam_channel": ("multi_choice", False, "诈骗渠道", "Fraud channel", {"values": [
        ("phone", "电话", "Phone call"),
        ("sms", "短信", "Text message"),
        ("social_media", "网络社交平台", "Social media"),
        ("door_to_door", "上门推销", "Door-to-door")]}),
    "water_appearance": ("multi_choice", False, "水体表观", "Water appearance", {"values": [
        ("black", "发黑", "Black"),
        ("odorous", "发臭", "Smelly"),
        ("oil_film", "浮油", "Oil film"),
        ("foam", "泡沫", "Foam"),
        ("discoloured", "异色", "Abnormal colour")]}),
    "smoke_color": ("single_choice", False, "烟气颜色", "Smoke colour", {"values": [
        ("black", "黑色", "Black"),
        ("grey", "灰色", "Grey"),
        ("white", "白色", "White"),
        ("yellow", "黄色", "Yellow")]}),
    "area_sqm": ("number", False, "涉及面积（平方米）", "Affected area (square metres)",
                 {"min": 1, "max": 1000000}),
    "estimated_volume": ("number", False, "估算方量（立方米）", "Estimated volume (cubic metres)",
                         {"min": 1, "max": 100000}),
    "waste_kind": ("multi_choice", False, "垃圾种类", "Type of waste", {"values": [
        ("household", "生活垃圾", "Household waste"),
        ("construction", "建筑垃圾", "Construction waste"),
        ("bulky", "大件垃圾", "Bulky waste"),
        ("garden", "园林垃圾", "Garden waste"),
        ("hazardous", "有害垃圾", "Hazardous waste")]}),
    "noise_period": ("single_choice", True, "噪声时段", "Time of the noise", {"values": [
        ("day", "昼间（6时至22时）", "Daytime (06:00-22:00)"),
        ("night", "夜间（22时至次日6时）", "Night (22:00-06:00)")]}),
    "site_name": ("string", False, "工地（项目）名称", "Construction site (project) name",
                  {"max_length": 100}),
    "permit_shown": ("single_choice", False, "夜间施工许可公示", "Night-work permit displayed", {"values": [
        ("yes", "已公示", "Displayed"),
        ("no", "未公示", "Not displayed")]}),
    "cover_state": ("single_choice", True, "井盖状态", "Cover condition", {"values": [
        ("missing", "缺失", "Missing"),
        ("broken", "破损", "Broken"),
        ("displaced", "移位", "Displaced"),
        ("uneven", "高低不平或异响", "Uneven or rattling")]}),
    "lamp_state": ("single_choice", True, "亮灯情况", "Lighting condition", {"values": [
        ("all_out", "全部不亮", "Completely out"),
        ("partly_out", "部分不亮", "Partly out"),
        ("on_by_day", "白天常亮", "On during daytime"),
        ("flickering", "闪烁", "Flickering")]}),
    "water_depth": ("number", False, "积水深度（厘米）", "Water depth (cm)",
                    {"min": 1, "max": 300}),
    "hazard_level": ("single_choice", True, "隐患等级", "Hazard level", {"values": [
        ("general", "一般隐患", "General hazard"),
        ("major", "重大隐患", "Major hazard")]}),
    "chemical_kind": ("multi_choice", False, "危化品类别", "Hazardous chemical class", {"values": [
        ("flammable_liquid", "易燃液体", "Flammable liquid"),
        ("flammable_gas", "易燃气体", "Flammable gas"),
        ("corrosive", "腐蚀品", "Corrosive"),
        ("toxic", "毒害品", "Toxic substance"),
        ("oxidizer", "氧化剂", "Oxidiser")]}),
    "cylinder_count": ("number", False, "钢瓶数量", "Number of cylinders",
                       {"min": 1, "max": 500}),
    "gas_smell": ("single_choice", True, "气味程度", "Smell intensity", {"values": [
        ("faint", "轻微", "Faint"),
        ("strong", "浓烈", "Strong")]}),
    "elevator_id": ("string", False, "电梯注册代码", "Elevator registration code",
                    {"max_length": 20}),
    "ebike_count": ("number", False, "电动车数量", "Number of e-bikes",
                    {"min": 1, "max": 200}),
    "age": ("number", False, "年龄", "Age", {"min": 0, "max": 120}),
    "help_needs": ("multi_choice", False, "帮扶需求", "Support needed", {"values": [
        ("meals", "助餐", "Meals"),
        ("medical", "助医", "Medical care"),
        ("cleaning", "助洁", "Cleaning"),
        ("bathing", "助浴", "Bathing"),
        ("companionship", "精神慰藉", "Companionship"),
        ("emergency", "紧急救援", "Emergency help")]}),
    "household_size": ("number", False, "家庭人口", "Household size",
                       {"min": 1, "max": 20}),
    "difficulty_type": ("multi_choice", False, "困难类型", "Type of hardship", {"values": [
        ("illness", "因病", "Illness"),
        ("disability", "因残", "Disability"),
        ("education", "因学", "Education costs"),
        ("disaster", "因灾", "Disaster"),
        ("unemployment", "失业", "Unemployment")]}),
    "stall_count": ("number", False, "摊位数量", "Number of stalls",
                    {"min": 1, "max": 200}),
}

# --------------------------------------------------------------------------
# Rule profiles: one per kind of subtype.
#   ph=(min_photos,max_photos) acc=max_accuracy_m og=own_grid pin=manual pin
#   roles os=on_site_disposal lv=handling level h=(accept,dispose) a=attributes
# --------------------------------------------------------------------------
def P(ph, acc, og, pin, roles, os_, lv, h, a=()):
    return {"ph": ph, "acc": acc, "og": og, "pin": pin, "r": roles, "os": os_,
            "lv": lv, "h": h, "a": list(a), "c": None, "g": None, "pe": None}

PROFILES = {
    # social stability
    "dispute":   P((0, 9), 50, "error", True, "igp", True, "grid", (2, 72),
                   ["involved_people", "dispute_stage"]),
    "risk":      P((0, 9), 100, "warning", True, "igp", False, "town", (1, 24),
                   ["people_count", "clue_source"]),
    "special":   P((0, 3), 50, "error", True, "igp", False, "town", (2, 48),
                   ["situation_detail"]),
    "rental":    P((1, 9), 30, "error", False, "igp", True, "grid", (4, 72),
                   ["rental_rooms", "occupants"]),
    "info":      P((0, 6), 50, "error", True, "igp", False, "grid", (8, 72),
                   ["people_count"]),
    "police":    P((0, 9), 100, "warning", True, "igp", False, "district", (1, 24),
                   ["clue_source", "found_time"]),
    "campus":    P((1, 9), 50, "warning", False, "ivgp", True, "grid", (2, 24),
                   ["found_time"]),
    # environment
    "water":     P((2, 9), 100, "none", True, "ivg", False, "town", (2, 72),
                   ["water_appearance"]),
    "air":       P((2, 9), 200, "none", True, "ivg", False, "town", (2, 48),
                   ["found_time"]),
    "waste":     P((1, 9), 50, "warning", False, "ivg", True, "grid", (2, 24),
                   ["waste_kind"]),
    "noise":     P((1, 6), 100, "warning", True, "ivg", False, "town", (2, 24),
                   ["noise_period"]),
    "soil":      P((2, 9), 100, "none", True, "ig", False, "district", (4, 168),
                   ["area_sqm"]),
    "cityscape": P((1, 9), 50, "warning", False, "ivg", True, "grid", (2, 48)),
    "build":     P((2, 9), 30, "error", False, "ig", False, "town", (4, 168),
                   ["area_sqm"]),
    "green":     P((1, 9), 50, "warning", False, "ivg", False, "town", (4, 72)),
    # physical facility with a component (component types set per subtype)
    "fac":       P((1, 9), 30, "warning", False, "ivg", False, "town", (2, 72)),
    # production safety
    "fire":      P((1, 9), 30, "error", False, "ivg", True, "grid", (1, 24)),
    "firehaz":   P((2, 9), 30, "error", False, "ig", False, "town", (2, 72),
                   ["hazard_level"]),
    "chem":      P((2, 9), 30, "error", False, "ig", False, "district", (1, 24),
                   ["chemical_kind"]),
    "ent":       P((2, 9), 50, "error", False, "ig", True, "town", (2, 72),
                   ["company_name", "hazard_level"]),
    "site":      P((2, 9), 50, "warning", False, "ig", False, "town", (2, 48),
                   ["site_name"]),
    "gas":       P((1, 9), 30, "error", False, "ig", True, "grid", (1, 12)),
    "equip":     P((1, 9), 30, "error", False, "ig", False, "district", (2, 48)),
    "traffic":   P((1, 9), 50, "warning", True, "ivgp", False, "town", (2, 48)),
    "venue":     P((2, 9), 30, "error", False, "ig", True, "grid", (2, 72),
                   ["hazard_level"]),
    "ebike":     P((1, 9), 30, "error", False, "ivg", True, "grid", (1, 24),
                   ["ebike_count"]),
    # convenience services
    "muni":      P((1, 9), 30, "warning", False, "ivg", False, "town", (4, 72)),
    "help":      P((0, 3), 50, "error", True, "ivg", False, "grid", (4, 72),
                   ["age", "help_needs"]),
    "assist":    P((0, 6), 50, "error", True, "ig", False, "town", (24, 168),
                   ["household_size", "difficulty_type"]),
    "pubsvc":    P((0, 6), 100, "warning", True, "ivg", False, "town", (8, 120)),
    "estate":    P((1, 9), 50, "error", False, "ivg", False, "grid", (4, 72)),
    "market":    P((1, 9), 50, "warning", False, "ig", True, "grid", (2, 24)),
    "order":     P((1, 9), 50, "warning", False, "ivg", True, "grid", (2, 24)),
}

ROLE_LETTERS = {"i": "inspector", "v": "volunteer", "g": "grid_leader",
                "p": "police_officer"}
ROLE_ORDER = ["inspector", "volunteer", "grid_leader", "police_officer"]

ALL_COVERS = ("01001,01002,01003,01005,01006,01007,01008,01009,01010,01011,"
              "01012,01014,01015,01017,01018,01019,01020,01021,01022,01023")

# --------------------------------------------------------------------------
# THE EVENT LIST
# --------------------------------------------------------------------------
EVENT_LIST = """
C 01
S 邻里纠纷 | Neighbour dispute | 邻居吵架,邻里矛盾 | dispute |
- 噪声扰邻纠纷 | Dispute over noise between neighbours | 楼上噪音,吵闹
- 漏水渗水纠纷 | Dispute over water leaking into a neighbour's home | 楼上漏水,渗水
- 公共部位占用纠纷 | Dispute over occupation of shared areas | 占楼道
- 宠物扰邻纠纷 | Dispute over pets disturbing neighbours | 狗叫
S 婚姻家庭纠纷 | Marital and family dispute | 家庭矛盾,夫妻吵架 | dispute |
- 夫妻感情纠纷 | Marital conflict between spouses | 闹离婚
- 赡养老人纠纷 | Dispute over support of elderly parents | 不养老人
- 子女抚养纠纷 | Dispute over child custody or support | 抚养费
- 家庭财产继承纠纷 | Family property or inheritance dispute | 分家产,遗产
S 家庭暴力 | Domestic violence | 家暴 | dispute | os=0 lv=town h=1/24 a=people_count,situation_detail
- 殴打家庭成员 | Beating of a family member | 打老婆,打孩子
- 虐待老人或儿童 | Abuse of an elderly person or a child | 虐待
S 劳资纠纷 | Labour dispute | 欠薪讨薪,讨薪,欠工资,讨工钱 | dispute | os=0 lv=town a=people_count,wage_amount,company_name
- 拖欠农民工工资 | Wages owed to migrant workers | 包工头欠钱
- 企业欠薪讨薪 | Workers claiming unpaid wages from an enterprise | 老板跑路
- 未签订劳动合同 | No written labour contract | 没签合同
- 工伤赔偿纠纷 | Work-injury compensation dispute | 工伤
- 社保缴纳纠纷 | Dispute over social insurance contributions | 不交社保
S 土地承包流转纠纷 | Land contracting and transfer dispute | 土地纠纷 | dispute | lv=town h=4/168
- 承包经营权纠纷 | Dispute over contracted land-use rights |
- 土地流转租金纠纷 | Dispute over land transfer rent | 地租
S 征地拆迁纠纷 | Land requisition and demolition dispute | 拆迁矛盾,动迁 | dispute | os=0 lv=town h=2/168 a=people_count,dispute_stage
- 拆迁补偿纠纷 | Demolition compensation dispute | 补偿款
- 安置房分配纠纷 | Resettlement housing allocation dispute | 安置房
- 拒不搬迁 | Refusal to relocate | 钉子户
S 物业服务纠纷 | Property management dispute | 物业矛盾 | dispute | a=people_count,dispute_stage
- 物业费收缴纠纷 | Dispute over property management fees | 物业费
- 业主与物业公司矛盾 | Conflict between owners and the property company |
- 业委会选举纠纷 | Dispute over an owners' committee election | 业委会
- 小区停车收费纠纷 | Dispute over estate parking charges | 停车费
S 房屋租赁纠纷 | Tenancy dispute | 房东租客矛盾 | dispute |
- 租金押金纠纷 | Dispute over rent or deposit | 押金不退
- 提前退租纠纷 | Dispute over early termination of a lease |
S 债务纠纷 | Debt dispute | 欠钱不还 | dispute | a=involved_people,amount_involved
- 民间借贷纠纷 | Private lending dispute | 借钱不还
- 暴力催收 | Violent debt collection | 催债,上门讨债
S 医疗纠纷 | Medical dispute | 医患矛盾 | dispute | lv=town
- 医患赔偿纠纷 | Doctor-patient compensation dispute |
- 医闹苗头 | Signs of disruption at a medical facility | 医闹
S 消费纠纷 | Consumer dispute | 消费投诉 | dispute |
- 预付卡退费纠纷 | Prepaid card refund dispute | 办卡跑路,预付卡
- 商品质量纠纷 | Product quality dispute |
- 装修质量纠纷 | Home renovation quality dispute |
S 交通事故纠纷 | Traffic accident dispute | 车祸纠纷,碰瓷 | dispute |
- 交通事故赔偿纠纷 | Traffic accident compensation dispute |
- 事故现场争执 | Argument at the scene of an accident |
S 山林水利纠纷 | Forest and water-use dispute | 争水,山林纠纷 | dispute | lv=town
- 山林权属纠纷 | Forest ownership dispute |
- 灌溉用水纠纷 | Irrigation water dispute |
S 宅基地纠纷 | Homestead dispute | 宅基地矛盾 | dispute | lv=town
- 宅基地界址纠纷 | Homestead boundary dispute |
- 建房采光通行纠纷 | Dispute over daylight or passage caused by house building | 挡光
S 村务财务纠纷 | Village affairs and finances dispute | 村务矛盾 | dispute | lv=town
- 村务公开质疑 | Challenge to village affairs disclosure |
- 集体收益分配纠纷 | Dispute over distribution of collective income | 分红
S 环境污染纠纷 | Pollution-related dispute | 污染矛盾 | dispute | lv=town
- 企业污染引发群众不满 | Residents' grievance over enterprise pollution |
- 养殖异味纠纷 | Dispute over livestock farm odour |
S 施工装修扰民纠纷 | Construction or renovation nuisance dispute | 装修矛盾 | dispute |
- 装修扰民纠纷 | Dispute over renovation nuisance |
- 施工致房屋受损纠纷 | Dispute over house damage caused by construction | 房子开裂
S 纠纷激化风险 | Risk of dispute escalation | 民转刑,扬言报复 | police | pe=17 a=involved_people,dispute_stage,clue_source
- 扬言报复 | Threats of revenge |
- 持械对峙 | Armed confrontation |
- 多次调解未果 | Repeated mediation failed |
S 信访苗头 | Signs of petitioning | 上访,信访 | risk | a=people_count,petition_target,clue_source
- 越级上访苗头 | Signs of petitioning over the heads of local authorities | 越级访
- 重复信访 | Repeated petitioning | 老上访
- 赴省进京上访动向 | Signs of petitioning to the province or Beijing | 进京访
S 人员聚集苗头 | Signs of crowd gathering | 聚集,群体性事件 | police | pe=21 a=gathering_size,clue_source,found_time
- 群体性聚集 | Mass gathering |
- 拉横幅举牌 | Banners or placards displayed |
- 网上串联召集 | Online mobilisation to gather | 建群串联
S 群体性诉求 | Collective grievance | 集体维权 | risk |
- 集体讨薪 | Collective wage claim |
- 业主集体维权 | Collective action by home owners | 烂尾楼,延期交房
- 退休人员待遇诉求 | Retirees' benefit claims |
S 网络舆情风险 | Online public-opinion risk | 舆情,网络谣言 | risk | acc=500 og=none
- 负面舆情线索 | Negative public-opinion clue |
- 网络谣言传播 | Spread of online rumours | 造谣
S 重大项目稳定风险 | Social stability risk of major projects | 邻避 | risk | lv=district h=2/72
- 项目建设引发群众反对 | Public opposition to a construction project |
- 邻避设施反对 | Opposition to a not-in-my-backyard facility | 反对建垃圾站,反对建基站
S 个人极端事件苗头 | Signs of an individual extreme incident | 极端言论,想不开 | police | pe=22 a=person_desc,clue_source
- 扬言实施极端行为 | Threats of extreme acts |
- 轻生倾向 | Suicidal tendency | 要跳楼
S 社区矫正人员 | Persons under community correction | 社矫人员 | special |
- 脱管漏管 | Out of supervision |
- 违反监管规定 | Breach of supervision rules |
S 刑满释放人员 | Released prisoners | 刑释人员 | special |
- 安置帮教需求 | Resettlement and support needs |
- 行踪不明 | Whereabouts unknown |
S 社区戒毒康复人员 | Persons in community drug rehabilitation | 吸毒人员,戒毒人员 | special |
- 未按期报到检测 | Missed check-in or drug test |
- 疑似复吸 | Suspected relapse | 复吸
S 严重精神障碍患者 | Persons with severe mental disorders | 精神病人,武疯子 | special | pe=18 a=person_desc,situation_detail
- 病情异常波动 | Abnormal change in condition | 发病
- 未按时服药 | Missed medication | 不吃药
- 监护缺失 | No guardian supervision |
- 肇事肇祸苗头 | Signs of causing trouble or harm |
S 重点青少年 | At-risk youth | 问题少年 | special |
- 闲散青少年 | Idle youth out of school and work |
- 辍学未成年人 | Minors who dropped out of school | 辍学
- 不良行为青少年 | Youth with delinquent behaviour |
S 退役军人诉求 | Veterans' grievances | 老兵诉求 | risk |
- 退役军人待遇诉求 | Veterans' benefit claims |
- 退役军人集体诉求苗头 | Signs of collective veteran grievances |
S 出租房屋未登记 | Unregistered rental housing | 出租房,租房未报 | rental |
- 新增出租未登记 | Newly let without registration |
- 租客变更未报备 | Change of tenant not reported | 换租客
- 房东未签治安责任书 | Landlord has not signed the public-security pledge | 责任书
S 群租房 | Overcrowded group rental | 群租,隔断房 | rental | os=0 lv=town h=4/168
- 隔断群租 | Partitioned group rental | 打隔断
- 厨房卫生间住人 | Kitchen or bathroom used as a bedroom |
- 人均居住面积不足 | Living space per person below the standard |
S 流动人口信息变更 | Migrant population information change | 外来人口,新市民 | info |
- 新入住人员 | New resident moved in |
- 人员迁出 | Resident moved out |
- 居住证到期 | Residence permit expired | 暂住证到期
S 流动人口未登记 | Unregistered migrants | 暂住登记 | info |
- 未办理居住登记 | Residence registration not done |
- 登记信息不实 | Registration information inaccurate |
S 实有人口信息核查 | Resident population data check | 人口信息 | info |
- 人户分离 | Registered residence differs from actual residence |
- 户籍信息错误 | Household registration information incorrect |
S 实有房屋信息变更 | Housing information change | 一标多实,地址信息 | info | a=-
- 房屋用途变更 | Change of building use |
- 房屋空置 | Vacant dwelling | 空房
- 门牌地址不符 | House number does not match the standard address |
S 境外人员信息 | Foreign nationals information | 外国人,老外 | info |
- 境外人员临时住宿未登记 | Foreign national's temporary stay not registered |
- 境外人员信息变更 | Foreign national's information changed |
S 可疑人员 | Suspicious person | 形迹可疑 | police | pe=1 a=person_desc,clue_source,found_time
- 形迹可疑人员 | Person behaving suspiciously |
- 疑似在逃人员 | Suspected fugitive | 逃犯
- 冒充公职人员 | Person impersonating an official | 假警察
S 可疑物品 | Suspicious item | 不明包裹 | police | pe=2
- 无人认领可疑包裹 | Unattended suspicious package |
- 疑似危险物品 | Suspected dangerous item |
S 涉毒线索 | Drug-related clue | 吸毒,贩毒,溜冰 | police | pe=3
- 疑似吸毒场所 | Suspected drug-use venue |
- 疑似贩毒 | Suspected drug dealing |
- 非法种植毒品原植物 | Illegal cultivation of drug plants | 罂粟,大麻
S 涉黄线索 | Prostitution-related clue | 卖淫嫖娼,色情 | police | pe=4
- 疑似卖淫嫖娼场所 | Suspected prostitution venue | 洗脚房,按摩店
- 色情招嫖广告 | Sex-service advertisements | 小卡片
S 涉赌线索 | Gambling-related clue | 赌博,赌场 | police | pe=5
- 聚众赌博 | Group gambling | 赌钱
- 赌博机 | Gambling machines | 老虎机,捕鱼机
- 网络赌博 | Online gambling |
S 重点人员动态 | Movements of key persons | 重点人员 | police | pe=6 a=person_desc,clue_source
- 重点人员行踪异常 | Unusual movements of a key person |
- 重点人员失联 | Key person out of contact |
S 出租房屋异常 | Public-security anomaly in rental housing | 可疑租客 | police | pe=7 a=occupants,clue_source
- 租客频繁更换 | Frequent turnover of tenants |
- 租客昼伏夜出 | Tenants active only at night |
- 出租屋疑似窝点 | Rental suspected to be a criminal den | 窝点
S 寄递物流异常 | Courier and logistics anomaly | 快递点,物流点 | police | pe=8
- 未落实收寄验视 | Parcels accepted without inspection | 开箱验视
- 未实名收寄 | Parcels accepted without real-name registration |
S 非法改装车辆 | Illegally modified vehicle | 改装车 | police | pe=9 a=vehicle_plate,clue_source
- 非法改装机动车 | Illegally modified motor vehicle |
- 改装车辆炸街扰民 | Modified vehicles roaring through the streets | 炸街
S 无人机黑飞 | Unauthorised drone flight | 黑飞,航拍 | police | pe=10
- 禁飞区飞行 | Flying in a no-fly zone |
- 人员密集区上空飞行 | Flying over crowds |
S 管制刀具线索 | Controlled knives clue | 管制刀具,砍刀 | police | pe=11
- 非法销售管制刀具 | Illegal sale of controlled knives |
- 携带管制刀具 | Carrying controlled knives |
S 枪爆物品线索 | Firearms and explosives clue | 枪支,炸药,雷管 | police | pe=12
- 非法持有枪支 | Illegal possession of firearms | 气枪,仿真枪
- 非法储存爆炸物品 | Illegal storage of explosives |
S 电信诈骗线索 | Telecom fraud clue | 电诈,诈骗 | police | pe=13 a=scam_channel,amount_involved,clue_source
- 疑似诈骗窝点 | Suspected fraud den |
- 群众疑似被骗 | Resident possibly being defrauded | 被骗
- 买卖电话卡银行卡 | Trading of SIM cards or bank cards | 两卡
S 非法集资宣传 | Illegal fundraising promotion | 高息理财,集资 | police | pe=14 a=amount_involved,clue_source
- 高息揽储宣传 | Promotion of high-interest deposits |
- 养老投资骗局宣传 | Pension-investment scam promotion | 养老诈骗
- 虚假理财讲座 | Fake wealth-management seminar | 讲座送鸡蛋
S 传销线索 | Pyramid selling clue | 传销 | police | pe=15
- 传销人员聚集 | Gathering of pyramid sellers |
- 传销窝点 | Pyramid-selling den |
S 邪教活动线索 | Cult activity clue | 邪教 | police | pe=16
- 散发邪教宣传品 | Distributing cult materials |
- 邪教聚会 | Cult meeting |
- 张贴涂写邪教标语 | Cult slogans posted or painted |
S 流浪乞讨人员 | Vagrants and beggars | 乞丐,流浪汉 | police | pe=19 g=09003 a=person_desc,clue_source
- 街面流浪乞讨 | Begging on the street |
- 流浪人员露宿 | Vagrant sleeping rough |
- 组织未成年人乞讨 | Organised begging using minors |
S 走失人员 | Missing person | 走丢,迷路 | police | pe=20 a=person_desc,found_time
- 走失老人 | Missing elderly person | 老年痴呆走丢
- 走失儿童 | Missing child |
- 走失精神障碍患者 | Missing person with a mental disorder |
S 盗窃线索 | Theft clue | 小偷,偷车 | police | pe=23
- 盗窃电动车 | Theft of e-bikes | 偷电瓶车
- 盗窃公共设施 | Theft of public facilities | 偷井盖,偷电缆
- 入室盗窃迹象 | Signs of burglary |
S 黑车非法营运 | Unlicensed passenger transport | 黑车,摩的 | police | pe=24 a=vehicle_plate,clue_source
- 黑出租揽客 | Unlicensed taxi touting |
- 非法营运摩的 | Unlicensed motorbike taxi |
S 非法行医 | Illegal medical practice | 黑诊所,游医 | police | pe=25
- 无证诊所 | Unlicensed clinic |
- 游医摆摊行医 | Itinerant quack practising on the street |
S 涉黑涉恶线索 | Gang and organised crime clue | 黑恶势力,村霸 | police | pe=26
- 欺行霸市 | Market bullying and monopolising |
- 强迫交易 | Forced trading |
- 套路贷 | Predatory trap loans |
S 私设宗教活动点 | Unauthorised religious venue | 家庭聚会点 | police | pe=27
- 私设聚会点 | Private unauthorised gathering point |
- 未经批准的宗教活动 | Unapproved religious activity |
S 涉恐涉暴线索 | Terrorism and violence clue | 暴恐 | police | pe=28
- 传播暴恐音视频 | Spreading violent or terrorist audio-video |
- 涉暴恐可疑行为 | Suspicious behaviour related to violence or terrorism |
S 网吧违规接纳未成年人 | Internet café admitting minors | 黑网吧 | police | pe=29
- 接纳未成年人上网 | Minors admitted to go online |
- 未实名登记上网 | Customers online without real-name registration |
S 旅馆民宿未实名登记 | Hotel or homestay guests not registered | 民宿,日租房 | police | pe=30
- 未实名登记住宿 | Guests not registered under their real name |
- 无证经营日租房 | Unlicensed day-rental rooms |
S 废旧物品收购异常 | Suspicious scrap purchasing | 回收站 | police | pe=31
- 收购来历不明物品 | Purchasing goods of unknown origin |
- 收购生产性废旧金属未登记 | Buying industrial scrap metal without registration |
S 娱乐场所治安隐患 | Public-order hazards at entertainment venues | KTV,酒吧 | police | pe=32
- 超时营业 | Operating beyond permitted hours |
- 酒后滋事 | Drunken trouble-making |
- 容留未成年人 | Minors admitted to the venue |
S 酒驾无证驾驶线索 | Drink-driving or unlicensed driving clue | 酒驾,醉驾 | police | pe=33 a=vehicle_plate,clue_source
- 疑似酒后驾驶 | Suspected drink-driving |
- 无证驾驶 | Driving without a licence |
S 三非外国人线索 | Foreigners' illegal entry, stay or employment | 三非 | police | pe=34
- 非法入境 | Illegal entry |
- 非法居留 | Illegal stay |
- 非法就业 | Illegal employment |
S 打架斗殴 | Fighting and brawling | 打架,寻衅滋事 | police | lv=town h=1/12 a=people_count,clue_source
- 聚众斗殴 | Group brawl |
- 寻衅滋事 | Picking quarrels and provoking trouble |
S 校园周边安全隐患 | Safety hazards around schools | 校门口 | campus |
- 校门口交通拥堵 | Traffic congestion at the school gate |
- 护学岗缺位 | School-guard post unattended |
- 校园周边流动摊贩 | Street vendors near the school | 三无零食
- 校园周边违规经营网吧游戏厅 | Internet café or game arcade too close to a school |
S 校园欺凌线索 | School bullying clue | 霸凌 | campus | r=igp os=0 ph=0-9 lv=town
- 校外欺凌学生 | Bullying of students off campus |
- 敲诈勒索学生 | Extortion of students |

C 02
S 违法排放污水 | Illegal sewage discharge | 偷排,排污,乱排污水 | water | g=06030 a=water_appearance,company_name
- 企业偷排废水 | Enterprise secretly discharging wastewater | 偷排
- 雨污混接排放 | Sewage discharged through storm drains | 雨污混接
- 私设暗管排污 | Hidden pipe used for discharge | 暗管
- 洗车修车污水直排 | Car-wash or repair-shop wastewater discharged directly |
S 河道漂浮物 | River floating debris | 河面垃圾,水葫芦 | water | g=06025 ph=1-9 os=1 lv=grid a=-
- 河面垃圾漂浮 | Rubbish floating on the river |
- 水生植物疯长堆积 | Overgrown aquatic plants accumulating | 水花生
- 死鱼死禽漂浮 | Dead fish or poultry floating |
S 黑臭水体 | Black and odorous water | 河水发黑,河水发臭 | water | g=06026
- 水体发黑发臭 | Water turning black and smelly |
- 水面油污 | Oil film on the water surface |
- 水体异色 | Abnormally coloured water |
S 河道违法占用 | Illegal encroachment on waterways | 占河,围河 | water | g=06046 lv=district a=area_sqm
- 河道内违章搭建 | Illegal structure within the river channel |
- 非法圈圩养殖 | Illegal enclosure for fish farming | 网围
- 河道填埋 | Infilling of a river channel |
S 河道岸线破损 | Damaged riverbank | 驳岸,护坡 | water | g=06023 ph=1-9 a=-
- 驳岸坍塌 | Revetment collapse |
- 护坡水土流失 | Bank slope erosion |
S 河长公示牌异常 | River-chief notice board anomaly | 河长牌 | fac | c=01065,02030 g=01065
- 公示牌缺失损坏 | Notice board missing or damaged |
- 公示信息过期 | Notice information out of date |
S 入河排口异常 | Outfall anomaly | 排污口,排水口 | water | c=01073 g=01073 acc=30
- 晴天排口排水 | Outfall discharging in dry weather |
- 排口排放异色异味水 | Outfall discharging discoloured or smelly water |
- 排口标识缺失 | Outfall identification sign missing |
S 非法捕捞 | Illegal fishing | 电鱼,毒鱼,禁渔 | water | g=06024 r=ivgp a=-
- 电鱼毒鱼炸鱼 | Electro-fishing, poisoning or blast fishing |
- 禁渔期捕捞 | Fishing during the closed season |
- 违规网具捕捞 | Fishing with prohibited nets | 地笼
S 蓝藻水华 | Cyanobacteria bloom | 蓝藻,太湖藻 | water | ph=1-9 a=area_sqm
- 蓝藻聚集 | Cyanobacteria accumulation |
- 藻类腐败异味 | Odour from decaying algae |
S 饮用水源地违规行为 | Violations in drinking-water source areas | 水源地 | water | lv=district a=-
- 水源保护区游泳垂钓 | Swimming or angling in a water-source protection zone | 钓鱼
- 水源保护区违规设施 | Unauthorised facility in a water-source protection zone |
S 养殖尾水污染 | Aquaculture effluent pollution | 鱼塘排水 | water |
- 养殖尾水直排 | Aquaculture effluent discharged untreated |
- 清塘排污 | Pond-cleaning sludge discharge |
S 畜禽养殖污染 | Livestock and poultry farming pollution | 养猪场,粪污 | water |
- 禁养区违规养殖 | Farming in a livestock-prohibited zone |
- 畜禽粪污直排 | Manure discharged directly |
S 城区饲养家禽家畜 | Keeping poultry or livestock in town | 养鸡,养鸭 | cityscape | g=06038
- 城区违规饲养畜禽 | Poultry or livestock kept in the urban area against regulations |
S 扬尘污染 | Dust pollution | 灰尘,扬灰 | air | a=area_sqm
- 裸土未覆盖 | Bare soil not covered | 黄土裸露
- 堆场扬尘 | Dust from storage yards |
- 道路扬尘 | Road dust |
S 工地扬尘 | Construction-site dust | 工地灰尘 | air | g=08004 acc=100 og=warning a=site_name
- 工地未洒水降尘 | Site not sprayed to suppress dust |
- 土方未覆盖防尘网 | Earth piles not covered with dust netting |
- 车辆未冲洗带泥上路 | Vehicles leaving site without wheel washing | 车轮带泥
S 渣土运输遗撒 | Spillage from muck trucks | 渣土车,泥头车 | air | g=06014 acc=50 og=warning a=vehicle_plate
- 渣土车沿途遗撒 | Muck truck spilling along the road |
- 渣土车未密闭运输 | Muck truck without a sealed cover |
S 秸秆焚烧 | Straw burning | 烧秸秆,烧稻草 | air | ph=1-9 os=1 lv=grid h=1/4 a=area_sqm
- 田间焚烧秸秆 | Straw burning in fields |
- 焚烧火点未熄灭 | Burning spot not extinguished |
S 露天焚烧垃圾 | Open burning of waste | 烧垃圾,烧树叶 | air | g=06020 ph=1-9 os=1 lv=grid h=1/4
- 焚烧生活垃圾 | Burning household rubbish |
- 焚烧树叶杂草 | Burning leaves and weeds |
- 焚烧电缆塑料 | Burning cables or plastics | 烧电线
S 餐饮油烟扰民 | Restaurant cooking-fume nuisance | 油烟,饭店油烟 | air | g=06027 acc=30 og=warning a=company_name
- 未安装油烟净化设施 | No fume purification equipment installed |
- 油烟净化设施未开启 | Fume purifier not switched on |
- 排烟口直对居民 | Exhaust outlet facing residents |
S 露天烧烤 | Open-air barbecue | 烧烤摊,撸串 | cityscape | g=06029
- 占道露天烧烤 | Barbecue stall on the street |
- 夜宵烧烤烟雾扰民 | Late-night barbecue smoke nuisance |
S 企业废气排放 | Industrial waste-gas emission | 冒烟,废气 | air | a=smoke_color,company_name
- 烟囱冒黑烟 | Chimney emitting black smoke |
- 刺激性气味排放 | Pungent odour emission |
- 无组织排放挥发性有机物 | Fugitive VOC emissions | VOC
S 异味恶臭 | Odour nuisance | 臭味,怪味 | air |
- 垃圾站异味 | Odour from a refuse station |
- 污水井异味 | Odour from a sewer |
- 工业异味 | Industrial odour |
S 机动车冒黑烟 | Vehicles emitting black smoke | 冒黑烟 | air | r=ivgp acc=100 a=vehicle_plate
- 柴油货车冒黑烟 | Diesel truck emitting black smoke |
- 非道路移动机械冒黑烟 | Off-road machinery emitting black smoke | 挖掘机冒烟
S 暴露垃圾 | Exposed garbage | 垃圾乱扔,乱丢垃圾 | waste | g=06010
- 路面垃圾 | Rubbish on the road surface |
- 绿化带内垃圾 | Rubbish in green belts |
- 卫生死角垃圾 | Rubbish in neglected corners | 卫生死角
- 河岸边坡垃圾 | Rubbish on riverbanks |
S 建筑垃圾乱倒 | Illegal dumping of construction waste | 建筑垃圾,装修垃圾 | waste | g=06011 a=estimated_volume
- 装修垃圾乱倒 | Renovation waste dumped |
- 建筑渣土堆积 | Construction muck piled up |
S 垃圾分类不规范 | Improper waste sorting | 垃圾分类 | waste | g=06041
- 混投混放 | Mixed waste disposal |
- 分类收集容器缺失 | Sorting bins missing |
- 混收混运 | Sorted waste collected together |
S 垃圾满溢 | Overflowing rubbish | 垃圾桶满了 | waste | g=06042
- 垃圾桶满溢 | Rubbish bin overflowing |
- 垃圾房满溢未清运 | Refuse room overflowing and not collected |
S 垃圾箱破损 | Damaged litter bin | 垃圾桶坏了 | fac | c=03005 g=03005
- 垃圾箱破损 | Litter bin damaged |
- 垃圾箱缺失 | Litter bin missing |
S 垃圾房异常 | Refuse room anomaly | 垃圾房,垃圾中转站 | fac | c=03004 g=03004
- 垃圾房脏乱 | Refuse room dirty and messy |
- 垃圾房设施损坏 | Refuse room facilities damaged |
S 非正规垃圾堆放点 | Informal dump site | 黑垃圾场 | waste | g=06032 os=0 lv=town a=waste_kind,area_sqm
- 非法填埋垃圾 | Illegal landfilling of waste |
- 坑塘倾倒垃圾 | Waste dumped into ponds or pits |
S 医疗废物乱丢弃 | Improper disposal of medical waste | 医废,针头 | waste | g=06033 r=ig lv=town a=-
- 医疗废物混入生活垃圾 | Medical waste mixed with household waste |
- 针头输液袋随意丢弃 | Needles or infusion bags discarded |
S 危险废物非法处置 | Illegal disposal of hazardous waste | 危废,废机油 | soil | a=company_name
- 废机油乱倒 | Waste engine oil dumped |
- 危废露天堆放 | Hazardous waste stored in the open |
- 工业固废偷倒 | Industrial solid waste secretly dumped |
S 动物尸体 | Animal carcass | 死猫死狗 | waste | g=06037 a=-
- 路面动物尸体 | Animal carcass on the road |
- 水面动物尸体 | Animal carcass in the water |
S 大件垃圾乱放 | Bulky waste left out | 旧家具,旧沙发 | waste | g=06035 a=-
- 废弃家具乱放 | Discarded furniture left out |
- 废旧家电乱放 | Discarded appliances left out |
S 乱堆杂物 | Clutter piled in public areas | 堆物,杂物 | waste | g=06036 a=-
- 公共场地乱堆杂物 | Clutter piled in public space |
- 绿地内堆放杂物 | Clutter piled on green space |
S 工地夜间施工噪声 | Construction-site night-time noise | 夜间施工,噪音 | noise | g=08001 a=site_name,permit_shown
- 夜间违规施工扰民 | Unpermitted night-time construction disturbing residents |
S 社会生活噪声 | Neighbourhood noise | 噪音,广场舞 | noise | g=06028
- 广场舞噪声扰民 | Square-dance music nuisance | 广场舞
- 商铺高音喇叭揽客 | Shop loudspeakers touting customers | 喇叭
- 娱乐场所噪声 | Noise from entertainment venues |
- 夜间聚餐喧哗 | Late-night diners making noise |
S 工业噪声 | Industrial noise | 厂里噪音 | noise | a=noise_period,company_name
- 厂区机器噪声 | Factory machinery noise |
- 夜间生产噪声 | Night-time production noise |
S 装修噪声扰民 | Renovation noise nuisance | 装修噪音,电钻 | noise | os=1 lv=grid
- 违规时段装修 | Renovation outside permitted hours |
- 节假日装修扰民 | Renovation noise on holidays |
S 土壤污染 | Soil contamination | 土壤 | soil |
- 工业废渣污染土地 | Land polluted by industrial slag |
- 农田倾倒污泥 | Sludge dumped on farmland |
S 违法占用耕地 | Illegal occupation of farmland | 占耕地,乱占地 | soil |
- 乱占耕地建房 | Building houses on farmland |
- 耕地堆放杂物 | Farmland used for storage |
- 耕地挖塘 | Digging ponds on farmland |
S 非法采砂取土 | Illegal sand or soil extraction | 挖土,盗采 | soil | r=igp
- 非法取土 | Illegal soil extraction |
- 河道非法采砂 | Illegal sand dredging in a river |
S 道路不洁 | Dirty road surface | 路面脏 | waste | g=06012 a=-
- 路面油污 | Oil stains on the road |
- 路面泥浆污渍 | Mud stains on the road |
S 建筑物外立面污损 | Soiled building facade | 外墙脏 | cityscape | g=06004
- 外立面乱涂乱画 | Graffiti on the facade | 涂鸦
- 外立面破损脱落 | Facade damaged or peeling |
S 乱张贴小广告 | Illegal small ads | 牛皮癣,小广告 | cityscape | g=07001
- 张贴小广告 | Posted small ads |
- 喷涂刻写号码 | Phone numbers sprayed or carved | 办证电话
- 电杆箱体张贴 | Ads stuck on poles and cabinets |
S 违规户外广告 | Unauthorised outdoor advertising | 广告牌 | cityscape | g=07003 os=0 lv=town
- 违规设置广告牌 | Unauthorised billboard |
- 广告牌破损 | Damaged billboard |
S 店招店牌破损 | Damaged shop sign | 招牌,店招 | fac | c=03007 g=03007 os=1 lv=grid
- 店招破损 | Shop sign damaged |
- 店招字体残缺 | Characters missing from shop sign | 缺字
S 沿街晾挂 | Laundry hung along the street | 晾衣服,晒被子 | cityscape | g=06007
- 沿街晾晒衣物 | Clothes drying along the street |
- 护栏树木晾晒 | Drying on railings or trees |
S 违规悬挂横幅 | Unauthorised banners | 横幅 | cityscape | g=07007
- 未经审批悬挂横幅 | Banner hung without approval |
- 破旧横幅未撤除 | Old banner not removed |
S 空调外机低挂 | Low-mounted air-conditioner units | 空调滴水 | cityscape | g=06009 os=0
- 外机安装高度不足 | Air-conditioner unit mounted too low |
- 冷凝水滴落 | Condensate water dripping |
S 乱拉线缆 | Unauthorised overhead cables | 私拉电线,蜘蛛网线 | cityscape | g=06008 os=0 lv=town
- 私拉乱接线缆 | Unauthorised cable connections |
- 线缆杂乱缠绕 | Messy tangled cables |
S 违章搭建 | Illegal construction | 违建,私搭乱建 | build | g=06001
- 屋顶违章加层 | Illegal rooftop addition |
- 院落违章搭建 | Illegal structure in a courtyard |
- 违章搭建棚房 | Illegal shed |
- 违法圈地围墙 | Illegal wall enclosing land |
S 文明养犬问题 | Dog-keeping nuisance | 遛狗,狗屎 | cityscape |
- 遛狗不牵绳 | Dog walked off the lead |
- 犬只粪便未清理 | Dog mess not cleaned up |
- 违规饲养烈性犬 | Banned dangerous dog breed kept |
S 绿化带损毁 | Damaged green belt | 毁绿 | green | g=06045
- 绿地踩踏 | Trampled green space |
- 毁绿种菜 | Green space dug up for vegetables | 种菜
- 苗木被盗 | Plants stolen |
S 绿地脏乱 | Dirty green space | 草地垃圾 | green | g=06017 os=1 lv=grid
- 绿地内垃圾 | Rubbish in the green space |
- 绿地杂草丛生 | Green space overgrown with weeds |
S 树木倒伏断枝 | Fallen trees or broken branches | 大树倒了,断枝 | fac | c=04002,04003 g=04002 h=1/24
- 行道树倒伏 | Street tree fallen |
- 枯枝断枝悬挂 | Dead or broken branch hanging |
- 树枝遮挡路灯标志 | Branches obscuring lamps or signs |
S 植物病虫害 | Plant pests and diseases | 美国白蛾,虫害 | green | g=06021
- 树木虫害 | Insect infestation of trees |
- 树木枯死 | Dead trees |
S 非法伐树 | Illegal tree felling | 砍树 | green | g=06022 r=ivgp
- 擅自砍伐树木 | Unauthorised tree felling |
- 擅自移植树木 | Unauthorised tree transplanting |
S 古树名木受损 | Damaged heritage tree | 古树 | fac | c=04001 g=04001 lv=district
- 古树枝干损伤 | Heritage tree trunk or branches damaged |
- 古树周边违规施工 | Unauthorised construction near a heritage tree |
S 绿化弃料 | Green waste left out | 修剪枝叶 | green | g=06018 os=1 lv=grid
- 修剪枝叶未清运 | Pruned branches not removed |
- 绿化垃圾堆放 | Green waste piled up |

C 03
S 消防通道堵塞 | Blocked fire lane | 生命通道,消防车道 | fire | g=09012 r=ivgp
- 车辆占用消防车道 | Vehicles parked in the fire lane |
- 杂物堵塞消防通道 | Clutter blocking the fire lane |
- 消防登高场地被占用 | Fire-engine aerial working area occupied |
- 消防通道私设障碍物 | Obstacles installed in the fire lane | 地桩
S 楼道堆物 | Items stored in stairwells | 楼道杂物 | fire |
- 楼道堆放杂物 | Clutter in the stairwell |
- 楼道堆放易燃物 | Flammables in the stairwell | 纸箱
S 室外消防设施损坏 | Damaged outdoor fire-fighting facilities | 消火栓,消防栓 | fac | c=01013,01068 g=01013 h=1/48
- 消火栓损坏漏水 | Hydrant damaged or leaking |
- 消火栓无水 | Hydrant has no water |
- 消火栓被圈占遮挡 | Hydrant enclosed or obstructed |
S 灭火器材配置不足 | Insufficient fire extinguishers | 灭火器 | fire | r=ig
- 未配置灭火器 | No fire extinguisher provided |
- 灭火器过期失效 | Fire extinguisher expired |
S 企业安全出口锁闭 | Enterprise emergency exit locked | 安全出口,疏散通道 | firehaz | a=company_name,hazard_level
- 安全出口上锁 | Emergency exit locked |
- 疏散通道堵塞 | Evacuation route blocked |
- 疏散指示标志损坏 | Evacuation sign damaged | 应急灯
S 三合一场所住人 | Three-in-one premises with people living in them | 三合一,前店后宅 | firehaz | a=occupants,hazard_level
- 生产经营储存住宿混设 | Production, storage and living under one roof |
- 商铺内违规住人 | People living inside a shop |
S 彩钢板建筑隐患 | Colour-steel sandwich panel building hazard | 彩钢板房 | firehaz |
- 易燃彩钢板房住人 | People living in a flammable panel building |
- 彩钢板房用作仓库生产 | Flammable panel building used for storage or production |
S 电气线路隐患 | Electrical wiring hazard | 电线老化,私拉电线 | fire |
- 电线私拉乱接 | Unauthorised wiring |
- 线路老化裸露 | Aged or exposed wiring |
- 违规使用大功率电器 | Use of high-power appliances against rules |
- 配电箱周边堆放可燃物 | Combustibles stored around a distribution box |
S 违规用火 | Unsafe use of open fire | 明火 | fire |
- 违规动火作业 | Hot work without permit | 电焊
- 室内焚香点蜡 | Incense or candles burned indoors |
- 路边焚烧纸钱 | Joss paper burned by the roadside | 烧纸
S 违规燃放烟花爆竹 | Illegal fireworks | 放鞭炮,放烟花 | fire | r=ivgp
- 禁放区燃放烟花爆竹 | Fireworks set off in a no-fireworks zone |
- 高层阳台燃放 | Fireworks set off from a high-rise balcony |
S 高层建筑消防隐患 | High-rise building fire hazard | 高层 | firehaz |
- 消防控制室无人值守 | Fire control room unattended |
- 防火门常开损坏 | Fire door propped open or damaged |
- 消防设施停用 | Fire systems switched off |
S 危化品违规储存 | Illegal storage of hazardous chemicals | 危化品,化学品 | chem | a=chemical_kind,company_name
- 超量储存 | Storage above permitted quantity |
- 禁忌物品混存 | Incompatible substances stored together |
- 储存场所不符合要求 | Unsuitable storage premises |
S 危化品非法经营 | Illegal trade in hazardous chemicals | 流动加油车,黑加油站 | chem |
- 无证经营危化品 | Selling hazardous chemicals without a licence |
- 非法流动加油 | Illegal mobile fuel sales |
- 违规销售易制毒易制爆化学品 | Illegal sale of drug- or explosive-precursor chemicals |
S 危化品运输隐患 | Hazardous-chemical transport hazard | 危化品车 | chem | a=chemical_kind,vehicle_plate
- 危化品车辆违规停放 | Hazmat vehicle parked illegally |
- 无资质运输危化品 | Hazardous chemicals transported without qualification |
S 烟花爆竹非法储存销售 | Illegal storage or sale of fireworks | 卖鞭炮 | chem | a=-
- 无证销售烟花爆竹 | Fireworks sold without a licence |
- 居民区违规存放烟花爆竹 | Fireworks stored in a residential area |
S 安全生产主体责任未落实 | Enterprise safety responsibility not fulfilled | 安全台账 | ent |
- 无安全管理台账 | No safety management records |
- 未开展安全培训 | No safety training |
- 特种作业人员无证上岗 | Special-operation workers without certificates | 无证电工
- 未开展隐患自查 | No hazard self-inspection |
S 机械设备防护缺失 | Missing machine guarding | 防护罩 | ent |
- 传动部位无防护 | Moving parts unguarded |
- 设备带病运行 | Faulty equipment kept running |
- 冲压设备无安全保护装置 | Press machine without safety guard device | 冲床
S 有限空间作业无防护 | Confined-space work without protection | 有限空间,下井作业 | ent | ph=1-9 h=1/4
- 未检测通风即作业 | Work started without gas testing or ventilation |
- 作业无人监护 | No attendant during work |
- 未配备防护救援器材 | No protective or rescue equipment |
- 有限空间未设警示标识 | No warning sign at a confined space |
S 粉尘涉爆隐患 | Combustible dust hazard | 粉尘 | ent |
- 粉尘积聚未清理 | Dust accumulation not cleaned |
- 除尘系统不规范 | Non-compliant dust-removal system |
S 劳动防护用品缺失 | Missing personal protective equipment | 安全帽,劳保 | ent |
- 未佩戴安全帽 | No safety helmet worn |
- 未配备防护用品 | No protective equipment provided | 口罩,护目镜
S 厂中厂隐患 | Factory-within-a-factory hazard | 转租厂房 | ent | os=0
- 厂房层层转租 | Factory premises sublet repeatedly |
- 安全责任主体不清 | Unclear safety responsibility |
S 企业职业健康隐患 | Enterprise occupational health hazard | 职业病 | ent |
- 未开展职业病危害检测 | No occupational hazard monitoring |
- 有毒作业场所通风不良 | Poor ventilation at toxic workplaces |
S 高处作业无防护 | Work at height without protection | 安全带 | site |
- 未系安全带 | No safety harness |
- 临边洞口无防护 | Unprotected edges or openings |
S 脚手架隐患 | Scaffolding hazard | 脚手架 | site |
- 脚手架搭设不规范 | Scaffolding improperly erected |
- 脚手架未验收使用 | Scaffolding used without inspection |
S 施工围挡问题 | Construction hoarding problem | 围挡 | site | g=08007 r=ivg
- 围挡破损倒伏 | Hoarding damaged or fallen |
- 未设置围挡 | No hoarding installed |
S 深基坑隐患 | Deep excavation hazard | 基坑 | site | lv=district h=1/24
- 基坑临边无防护 | Excavation edge unprotected |
- 基坑边坡坍塌迹象 | Signs of excavation slope collapse |
S 违规高空悬吊作业 | Illegal suspended work at height | 蜘蛛人 | site | g=08013 h=1/12
- 悬吊作业无安全绳 | Suspended work without a safety rope |
- 悬吊作业区域无警戒 | No cordon below suspended work |
S 擅自拆改承重结构 | Unauthorised alteration of load-bearing structure | 拆承重墙 | site | r=ivg a=-
- 拆改承重墙 | Load-bearing wall altered |
- 擅自开挖地下室 | Unauthorised basement excavation |
S 危房隐患 | Dangerous building | 危房,房子裂缝 | site | r=ivg h=1/48 a=-
- 房屋墙体开裂 | Cracks in building walls |
- 房屋倾斜沉降 | Building tilting or settling |
- 危房仍住人 | People still living in a dangerous building |
S 经营性自建房隐患 | Self-built commercial building hazard | 自建房 | site | a=-
- 违规加层扩建 | Illegal additional storeys |
- 经营用途未经安全鉴定 | Commercial use without safety appraisal |
S 燃气瓶违规使用 | Improper use of gas cylinders | 煤气罐,液化气瓶 | gas | a=cylinder_count
- 钢瓶未固定放置 | Cylinder not secured |
- 使用过期未检钢瓶 | Expired or uninspected cylinder in use |
- 地下室使用钢瓶 | Cylinder used in a basement |
- 一灶多瓶 | Several cylinders connected to one stove |
- 钢瓶靠近明火热源 | Cylinder placed near open flame or heat |
S 燃气泄漏 | Gas leak | 煤气味,漏气 | gas | r=ivgp os=0 ph=0-9 acc=50 og=warning pin=1 lv=district h=1/2 a=gas_smell
- 闻到燃气异味 | Smell of gas |
- 燃气管道破损泄漏 | Damaged gas pipe leaking |
S 燃气报警装置缺失 | Missing gas alarm | 报警器 | gas |
- 未安装燃气报警器 | No gas alarm installed |
- 未安装自动切断阀 | No automatic shut-off valve |
S 非法充装燃气 | Illegal gas refilling | 倒气,黑气站 | gas | r=igp os=0 lv=district a=cylinder_count
- 钢瓶倒灌 | Decanting gas between cylinders |
- 非法储存充装点 | Illegal gas storage or refilling point |
S 燃气管道设施异常 | Outdoor gas pipeline facility anomaly | 燃气管道,调压箱 | fac | c=01057,01049,01011 g=01057 lv=district h=1/24
- 燃气管道锈蚀 | Gas pipe corroded |
- 燃气管道被占压 | Gas pipeline built over |
- 调压箱损坏 | Gas regulator box damaged |
S 电梯安全隐患 | Elevator safety hazard | 电梯 | equip | c=01076 g=01076 h=1/24 a=elevator_id
- 电梯困人 | Passengers trapped in an elevator | 关在电梯里
- 电梯维保过期 | Elevator maintenance overdue |
- 电梯运行异响 | Abnormal noise during operation |
- 电梯使用标志缺失 | Elevator use certificate not displayed |
S 锅炉压力容器隐患 | Boiler and pressure-vessel hazard | 锅炉 | equip |
- 锅炉无证使用 | Boiler used without registration |
- 压力容器超期未检 | Pressure vessel inspection overdue |
S 大型游乐设施隐患 | Amusement-ride hazard | 游乐设施 | equip |
- 游乐设施无检验标志 | Amusement ride without inspection mark |
- 游乐设施破损 | Amusement ride damaged |
S 起重机械隐患 | Lifting machinery hazard | 塔吊,吊车 | equip |
- 塔吊未检验使用 | Tower crane used without inspection |
- 起重作业无人指挥 | Lifting without a signaller |
S 场内机动车辆隐患 | In-plant motor vehicle hazard | 叉车 | equip |
- 无证驾驶叉车 | Forklift driven without a licence |
- 叉车违规载人 | Forklift carrying people |
S 道路交通安全隐患 | Road traffic safety hazard | 事故多发 | traffic |
- 路口视线遮挡 | Blocked sightline at a junction |
- 事故多发路段缺少警示 | Accident black spot without warning signs |
- 临水临崖路段无护栏 | Road by water or a drop without guardrail |
S 货车超载超限 | Overloaded trucks | 超载 | traffic | a=vehicle_plate
- 货车超载 | Truck overloaded |
- 货车违规载人 | Truck carrying passengers |
S 接送学生车辆隐患 | Unsafe school pick-up vehicle | 校车,黑校车 | traffic | a=vehicle_plate
- 无资质车辆接送学生 | Unqualified vehicle transporting pupils |
- 接送车辆超员 | School vehicle overloaded |
S 电动三轮车违规载人 | Electric tricycle carrying passengers | 三轮车 | traffic |
- 三轮车违规载人 | Tricycle carrying passengers |
- 低速电动车违规上路 | Low-speed electric vehicle on the road illegally | 老年代步车
S 小餐饮场所隐患 | Small eatery safety hazard | 小饭店,九小场所 | venue |
- 后厨燃气设施不规范 | Non-compliant kitchen gas installation |
- 烟道油污未清洗 | Grease in the flue not cleaned |
- 餐饮店内住人 | People sleeping inside an eatery |
S 小旅馆民宿隐患 | Small hotel or homestay safety hazard | 小旅馆,九小场所 | venue |
- 客房无逃生设施 | Guest rooms without escape equipment |
- 疏散通道不畅 | Evacuation route obstructed |
S 小商店小超市隐患 | Small shop safety hazard | 小卖部,九小场所 | venue |
- 商品堆放堵塞通道 | Goods blocking aisles |
- 店内违规充电住人 | Charging or sleeping inside the shop |
S 小培训机构隐患 | Small training centre safety hazard | 托管班,九小场所 | venue |
- 疏散楼梯不足 | Insufficient escape stairs |
- 无证办学托管 | Unlicensed school or after-school care |
S 小诊所隐患 | Small clinic safety hazard | 诊所,九小场所 | venue |
- 诊所消防设施缺失 | Clinic lacks fire-fighting equipment |
- 医用氧气瓶存放不当 | Medical oxygen cylinders stored improperly |
S 小加工作坊隐患 | Small workshop safety hazard | 小作坊,九小场所 | venue |
- 作坊内住人 | People living in a workshop |
- 作坊违规使用易燃材料 | Flammable materials used improperly |
S 小娱乐场所隐患 | Small entertainment venue safety hazard | 棋牌室,九小场所 | venue |
- 包间装修使用易燃材料 | Private rooms decorated with flammable materials |
- 安全出口数量不足 | Too few emergency exits |
S 小美容美发场所隐患 | Small beauty or hair salon safety hazard | 理发店,九小场所 | venue |
- 电器设备私拉乱接 | Appliances wired without authorisation |
- 店内违规住宿 | People sleeping in the salon |
S 电动车飞线充电 | E-bike flying-wire charging | 飞线,电瓶车充电,拉线充电 | ebike |
- 楼上拉线充电 | Charging cable hung down from upstairs |
- 窗口拉线充电 | Charging cable run through a window |
- 插线板串接充电 | Daisy-chained power strips used for charging |
S 电动车楼道停放充电 | E-bike parked or charged in a stairwell | 电瓶车进楼道,楼道充电 | ebike |
- 楼道停放电动车 | E-bike parked in the stairwell |
- 楼道内充电 | E-bike charged in the stairwell |
- 电动车进电梯 | E-bike taken into a lift | 电瓶车进电梯
S 电动车入户充电 | E-bike charged indoors | 电池带回家充 | ebike |
- 室内停放充电 | E-bike parked and charged inside a home |
- 电池带回家充电 | Battery carried home for charging |
S 电动车充电设施异常 | E-bike charging facility anomaly | 充电桩,充电棚 | fac | c=01054 g=01054
- 充电桩损坏 | Charging point damaged |
- 充电棚未配消防设施 | Charging shelter without fire equipment |
S 电动车违规改装 | Illegally modified e-bike | 改装电瓶车 | ebike | r=ivgp os=0 lv=town a=-
- 私改大容量电池 | Battery replaced with an oversized one |
- 拆除限速装置 | Speed limiter removed |
S 电动车销售维修违规 | Non-compliant e-bike sales or repair | 电动车店 | ebike | r=ig os=0 lv=town a=company_name
- 销售不合格车辆电池 | Non-compliant bikes or batteries sold |
- 维修店违规充电 | Unsafe charging in a repair shop |
S 高空坠物隐患 | Falling-object hazard | 掉东西 | site | r=ivg lv=grid h=1/24 a=-
- 外墙瓷砖脱落 | Facade tiles falling |
- 阳台花盆杂物坠落风险 | Risk of pots or objects falling from balconies |
- 广告牌松动 | Loose billboard |
S 高空抛物 | Throwing objects from height | 扔东西,抛物 | site | r=ivgp ph=0-9 lv=grid a=found_time
- 高空抛掷垃圾 | Rubbish thrown from height |
- 高空抛掷重物 | Heavy objects thrown from height |
S 大型活动安全隐患 | Large-event safety hazard | 人多拥挤 | traffic | h=1/4 a=people_count
- 人员过度拥挤 | Overcrowding |
- 临时搭建设施不牢固 | Unstable temporary structures |
S 溺水隐患 | Drowning risk | 野泳,玩水 | traffic | r=ivg
- 野外游泳 | Swimming in unsupervised waters |
- 儿童水边嬉戏无人看护 | Children playing by water unsupervised |
- 救生设施缺失 | Missing life-saving equipment | 救生圈
S 防汛防台隐患 | Flood and typhoon hazard | 防汛,台风 | site | r=ivg h=1/24 a=-
- 临时建筑不牢固 | Insecure temporary buildings |
- 低洼处防汛物资不足 | Insufficient flood supplies in low-lying areas |
S 山体地质灾害隐患 | Hillside geological hazard | 滑坡,塌方 | site | r=ivg lv=district h=1/24 og=none acc=100 pin=1 a=-
- 山体裂缝 | Cracks on the hillside |
- 落石滑坡迹象 | Signs of rockfall or landslide |
S 加油加气站隐患 | Fuel or gas station hazard | 加油站 | fac | c=05003 g=05003 r=ig
- 加油站违规使用明火 | Open flame at a fuel station |
- 违规灌装散装汽油 | Bulk petrol sold into containers illegally | 桶装汽油
S 地下室违规住人 | People living in basements illegally | 地下室住人 | firehaz |
- 地下空间违规住人 | People living in a basement or underground car park |

C 04
S 井盖缺失 | Missing manhole cover | 窨井盖,下水道盖,井盖 | fac | c=ALL_COVERS acc=20 h=1/24 a=cover_state
- 井盖缺失 | Manhole cover missing |
- 井盖破损 | Manhole cover broken |
- 井盖移位或不平 | Manhole cover displaced or uneven | 井盖响
S 雨水箅子损坏 | Damaged storm-drain grate | 雨水篦子,下水口 | fac | c=01004 g=01004 acc=20
- 雨水箅子缺失 | Storm-drain grate missing |
- 雨水箅子破损 | Storm-drain grate broken |
- 雨水箅子堵塞 | Storm-drain grate blocked |
S 沟槽盖板破损 | Damaged trench cover plate | 盖板 | fac | c=01026 g=01026 acc=20
- 盖板断裂 | Cover plate cracked |
- 盖板缺失 | Cover plate missing |
S 路灯损坏不亮 | Street lamp out or damaged | 路灯不亮,路灯坏了 | fac | c=01037,01077 g=01037 a=lamp_state
- 路灯不亮 | Street lamp not lit |
- 路灯白天常亮 | Street lamp on during daytime |
- 灯杆倾斜 | Lamp post leaning |
- 灯具灯罩破损 | Lamp fitting or cover broken |
S 景观亮化设施损坏 | Damaged landscape lighting | 景观灯,地灯 | fac | c=01038,01039 g=01039
- 景观灯不亮 | Landscape lamp not lit |
- 亮化灯带脱落 | Decorative light strip hanging loose |
S 路灯配电箱异常 | Street-lighting distribution box anomaly | 配电箱 | fac | c=01060 g=01060 h=1/24
- 配电箱门缺失 | Distribution box door missing |
- 配电箱线缆裸露 | Cables exposed in a distribution box |
S 电力设施异常 | Power facility anomaly | 电线杆,变压器 | fac | c=01028,01030,01048 g=01028 h=1/24
- 电线杆倾斜 | Power pole leaning |
- 变压器箱门敞开 | Transformer box door open |
- 电力线缆下垂 | Power lines sagging |
S 架空线缆脱落 | Fallen overhead cables | 电线垂落 | muni | g=10002 h=1/24
- 线缆脱落垂地 | Cables fallen to the ground |
- 线缆缠绕树木 | Cables tangled in trees |
S 通信设施异常 | Telecom facility anomaly | 电信箱,光交箱 | fac | c=01027,01031,01062 g=01027
- 通信交接箱破损 | Telecom cabinet damaged |
- 通信杆倾斜 | Telecom pole leaning |
S 供水管道漏水 | Water-main leak | 水管爆了,路面冒水 | muni | h=1/24
- 路面冒水 | Water bubbling up through the road |
- 供水管道爆裂 | Water main burst |
S 排水管道堵塞 | Blocked drains | 下水道堵了,污水冒溢 | muni |
- 下水道堵塞 | Sewer blocked |
- 污水外溢 | Sewage overflowing |
S 化粪池满溢 | Septic tank overflow | 化粪池 | fac | c=03003,01018 g=03003
- 化粪池满溢 | Septic tank overflowing |
- 化粪池盖板破损 | Septic tank cover broken |
S 公共厕所脏乱 | Dirty public toilet | 公厕,厕所 | fac | c=03001,03002 g=03001 os=1 lv=grid
- 厕所脏乱异味 | Toilet dirty or smelly |
- 厕所设施损坏 | Toilet fixtures broken |
- 厕所未按时开放 | Toilet not open at posted hours |
S 户外健身器材损坏 | Damaged outdoor fitness equipment | 健身器材 | fac | c=01046 g=01046
- 健身器材破损 | Fitness equipment broken |
- 健身器材松动 | Fitness equipment loose |
S 监控探头损坏 | Damaged surveillance camera | 摄像头,电子眼 | fac | c=01050 g=01050 r=igp
- 监控探头不工作 | Camera not working |
- 监控杆倾倒 | Camera pole fallen |
S 宣传栏破损 | Damaged notice board | 公告栏 | fac | c=03008 g=03008
- 宣传栏损坏 | Notice board damaged |
- 宣传内容过期 | Notice content out of date |
S 街头座椅损坏 | Damaged street bench | 长椅,凳子 | fac | c=04007 g=04007
- 座椅破损 | Bench broken |
- 座椅缺失 | Bench missing |
S 树池盖板缺失 | Missing tree-pit cover | 树穴 | fac | c=04011,04004 g=04011
- 树池盖板缺失 | Tree-pit cover missing |
- 护树设施损坏 | Tree guard damaged |
S 防汛排涝设施异常 | Flood-control facility anomaly | 防汛墙,泵站 | fac | c=01071,01072,01067 g=01071 lv=district h=1/24
- 防汛墙破损渗漏 | Flood wall damaged or seeping |
- 排水泵站故障 | Drainage pumping station fault |
S 水域护栏缺损 | Damaged waterside railing | 河边栏杆 | fac | c=01070,01069 g=01070 h=1/48
- 水域护栏缺失 | Waterside railing missing |
- 水域护栏松动 | Waterside railing loose |
S 道路破损坑洼 | Damaged or potholed road | 坑洼,路坏了 | muni | g=06013
- 路面坑洼 | Potholes |
- 路面塌陷 | Road subsidence |
- 路面开裂拥包 | Road cracking or heaving |
- 检查井周边路面破损 | Road surface broken around a manhole |
S 人行道板松动破损 | Loose or broken pavement slabs | 人行道砖 | muni |
- 人行道砖松动 | Pavement slabs loose |
- 人行道砖缺失 | Pavement slabs missing |
S 路缘石缺损 | Damaged kerbstones | 马路牙子 | muni | g=06050
- 路缘石缺失 | Kerbstone missing |
- 路缘石松动破损 | Kerbstone loose or broken |
S 盲道缺损 | Damaged tactile paving | 盲道 | muni | g=06051
- 盲道砖破损 | Tactile paving broken |
- 盲道不连续 | Tactile paving discontinuous |
S 无障碍设施损坏 | Damaged accessibility facilities | 无障碍坡道,轮椅坡道 | fac | c=02034 g=02034
- 无障碍坡道破损 | Accessible ramp damaged |
- 无障碍卫生间损坏 | Accessible toilet out of order |
- 无障碍通道被占用 | Accessible route obstructed |
S 积水内涝 | Waterlogging | 水淹,积水 | muni | acc=100 pin=1 h=1/12 a=water_depth
- 道路积水 | Water pooling on the road |
- 小区积水 | Water pooling in a housing estate |
- 地下车库进水 | Underground garage flooding |
S 道路积雪结冰 | Snow or ice on roads | 结冰,路滑 | muni | g=10001 h=1/12
- 道路积雪 | Snow on the road |
- 路面结冰 | Ice on the road |
S 桥梁设施异常 | Bridge facility anomaly | 桥,天桥 | fac | c=02009,02006,02008 g=02009 lv=district
- 桥面破损 | Bridge deck damaged |
- 桥梁栏杆损坏 | Bridge railing damaged |
- 桥梁伸缩缝异常 | Bridge expansion joint abnormal |
S 交通标志标线缺损 | Damaged traffic signs or markings | 路牌,标线 | fac | c=02010,02011 g=02010
- 交通标志牌倾斜缺失 | Traffic sign leaning or missing |
- 交通标线模糊 | Road markings faded |
S 交通信号灯故障 | Traffic signal failure | 红绿灯坏了 | fac | c=02014,02015 g=02014 r=ivgp h=1/12
- 信号灯不亮 | Signal not lit |
- 信号灯常亮或闪烁异常 | Signal stuck or flashing abnormally |
S 交通护栏损坏 | Damaged traffic guardrail | 隔离栏 | fac | c=02017,02022,02018 g=02017
- 护栏撞坏倒伏 | Guardrail knocked down |
- 隔离设施缺失 | Separator missing |
S 路名牌门牌缺损 | Damaged street-name or house-number sign | 门牌,路名牌 | fac | c=02012,02013,02038 g=02012
- 路名牌缺失错误 | Street-name sign missing or wrong |
- 门牌号缺失 | House-number plate missing |
S 减速带损坏 | Damaged speed bump | 减速垄 | fac | c=02043 g=02043
- 减速带松动脱落 | Speed bump loose or detached |
- 减速带螺钉外露 | Speed bump bolts protruding |
S 私设地锁阻车桩 | Private parking locks or bollards | 地锁,占车位 | order | g=06040
- 私装地锁 | Private parking lock installed |
- 私设阻车桩石墩 | Private bollards or stone blocks placed |
S 公交站台破损 | Damaged bus stop | 公交站,站牌 | fac | c=02004,01032 g=02004
- 候车亭破损 | Bus shelter damaged |
- 站牌信息错误 | Wrong bus stop information |
- 站台座椅损坏 | Bus stop seating broken |
S 公交服务问题 | Bus service problem | 公交 | pubsvc |
- 公交班次间隔过长 | Bus intervals too long |
- 公交站点设置不合理 | Bus stop poorly located |
S 共享单车乱停放 | Shared-bike disorder | 共享单车,小黄车,哈啰 | order | g=09011
- 共享单车无序停放 | Shared bikes parked haphazardly |
- 共享单车堆积 | Shared bikes piled up |
- 损坏单车占道 | Broken shared bikes blocking the way |
S 非机动车乱停放 | Disorderly non-motor vehicle parking | 电瓶车乱停 | order | g=09010
- 人行道乱停非机动车 | Bikes parked on the pavement |
- 出入口乱停非机动车 | Bikes blocking entrances |
- 占用盲道停放非机动车 | Bikes parked on tactile paving |
S 机动车乱停放 | Illegal motor-vehicle parking | 乱停车,违停 | order | g=09009 r=ivgp os=0 lv=town a=vehicle_plate
- 人行道违停 | Parking on the pavement |
- 占用盲道停车 | Parking on tactile paving |
- 路口违停 | Parking at a junction |
S 僵尸车 | Abandoned vehicle | 废弃车辆 | order | g=06034 os=0 lv=town a=vehicle_plate
- 废弃车辆长期占用公共车位 | Abandoned vehicle occupying a public space long-term |
S 独居老人帮扶 | Support for elderly living alone | 孤寡老人,空巢老人 | help |
- 独居老人多日未见 | Elderly person not seen for days |
- 独居老人生活无法自理 | Elderly person unable to look after themselves |
- 老人助餐需求 | Elderly meal assistance needed |
- 老人紧急呼叫求助 | Elderly person's emergency call for help | 一键呼叫
S 失能老人照护需求 | Care needs of disabled elderly | 瘫痪老人,护理 | help |
- 失能老人缺乏照护 | Disabled elderly person lacking care |
- 居家养老服务申请 | Application for home-based elderly care |
S 残疾人救助需求 | Assistance needs of disabled persons | 残疾人 | help | a=age,difficulty_type
- 残疾人生活困难 | Disabled person in hardship |
- 残疾人辅具需求 | Need for assistive devices | 轮椅
- 残疾证办理咨询 | Disability certificate enquiry |
S 留守儿童关爱 | Care for left-behind children | 留守儿童 | help | a=age
- 留守儿童无人监护 | Left-behind child without supervision |
- 留守儿童学习生活困难 | Left-behind child struggling with study or daily life |
S 困境儿童保障 | Protection of children in difficulty | 困境儿童 | help | r=igp a=age,situation_detail
- 事实无人抚养儿童 | Child without a de facto caregiver |
- 疑似受虐儿童 | Suspected child abuse |
S 困难家庭帮扶 | Support for families in hardship | 困难户,贫困户 | assist |
- 因病致贫 | Poverty caused by illness |
- 家庭突发变故 | Sudden family crisis |
- 低收入家庭生活困难 | Low-income family in hardship |
- 因学致困 | Hardship due to education costs |
S 低保特困申请 | Minimum-living or extreme-poverty support application | 低保,五保 | assist |
- 低保申请 | Minimum-living allowance application |
- 低保资格疑似不符 | Suspected ineligible allowance recipient |
- 特困供养申请 | Application for extreme-poverty support |
S 临时救助需求 | Temporary assistance need | 急难救助 | assist | h=4/48
- 受灾家庭临时救助 | Temporary assistance for a disaster-hit family |
- 突发疾病急难救助 | Emergency aid for sudden illness |
S 就业援助 | Employment assistance | 找工作,失业 | assist | a=age
- 失业人员求职 | Job search by an unemployed person |
- 就业困难人员帮扶 | Support for a hard-to-employ person |
- 职业技能培训需求 | Vocational training need |
S 社保医保办理需求 | Social and medical insurance service need | 社保,医保 | pubsvc |
- 参保缴费咨询 | Insurance enrolment or payment enquiry |
- 医保报销困难 | Difficulty with medical reimbursement |
S 政务服务代办需求 | Government service proxy need | 代办 | pubsvc |
- 证照代办 | Proxy application for certificates |
- 居住证办理 | Residence permit application |
S 停水停电停气 | Utility outage | 停水,停电,停气 | pubsvc | h=2/24
- 停水 | Water outage |
- 停电 | Power outage |
- 停气 | Gas outage |
S 自来水水质问题 | Tap-water quality problem | 水黄,水有味 | pubsvc |
- 自来水浑浊 | Tap water cloudy |
- 自来水有异味 | Tap water smells |
S 老旧小区设施 | Old housing estate facilities | 老小区 | estate |
- 楼道灯不亮 | Stairwell light not working |
- 单元门禁损坏 | Entrance access control broken |
- 屋面外墙渗漏 | Roof or wall leaking |
- 小区排水管网老化 | Ageing estate drainage pipes |
- 楼道扶手破损 | Stairwell handrail broken |
S 既有住宅加装电梯诉求 | Request to retrofit an elevator | 加装电梯 | pubsvc |
- 加装电梯协调需求 | Coordination needed for an elevator retrofit |
S 物业管理不到位 | Inadequate property management | 物业不作为 | estate |
- 保洁不到位 | Poor cleaning |
- 小区绿化养护缺失 | Estate greenery not maintained |
- 门岗保安缺岗 | Security guard post unmanned |
S 小区公共设施损坏 | Damaged estate public facilities | 小区设施 | estate |
- 单元门损坏 | Building entrance door broken |
- 信报箱损坏 | Mailboxes broken |
- 小区道路破损 | Estate road damaged |
S 小区停车矛盾 | Estate parking problem | 停车难 | estate |
- 小区车位不足 | Too few parking spaces |
- 外来车辆占位 | Outside vehicles occupying spaces |
S 二次供水设施问题 | Secondary water-supply facility problem | 水箱 | estate |
- 水箱未定期清洗 | Water tank not cleaned regularly |
- 加压泵房故障 | Booster pump room fault |
S 占道经营 | Street occupation for trading | 摆摊,马路市场 | market | g=09006 a=stall_count
- 流动摊贩占道 | Mobile vendors on the street |
- 早夜市占道 | Morning or night market on the road |
- 流动瓜果车占道 | Fruit trucks selling on the road |
S 无照经营游商 | Unlicensed hawkers | 游商,小贩 | market | g=09001
- 无照流动经营 | Unlicensed mobile trading |
- 游商兜售 | Hawkers peddling goods |
S 出店经营 | Trading outside the shop front | 店外摆摊 | market | g=09005
- 商品摆出店外 | Goods displayed outside the shop |
- 店外加工作业 | Work done outside the shop |
S 农贸市场秩序 | Farmers' market order | 菜市场 | market | g=09020
- 场内占道经营 | Stalls blocking aisles inside the market |
- 缺斤短两 | Short weight | 短秤
- 市场卫生脏乱 | Market dirty |
S 食品安全隐患 | Food safety hazard | 过期食品,三无产品 | market | r=ivg
- 销售过期食品 | Selling expired food |
- 销售三无食品 | Selling unlabelled food |
- 餐饮后厨卫生脏乱 | Dirty restaurant kitchen |
S 无证餐饮 | Unlicensed catering | 无证小吃 | market | g=09015
- 无证经营餐饮 | Catering without a licence |
- 家庭作坊加工食品 | Home workshop producing food |
S 价格违法 | Pricing violation | 乱收费,宰客 | market |
- 未明码标价 | Prices not displayed |
- 哄抬价格 | Price gouging |
S 废品收购乱象 | Disorderly scrap collection | 废品站,收破烂 | market | g=09004
- 占道堆放废品 | Scrap piled on the road |
- 废品站脏乱 | Scrap yard dirty |
S 占道洗车 | Car washing on the street | 洗车 | market | g=09021
- 占道洗车作业 | Car washing on the road |
- 洗车污水漫流 | Car-wash water spreading on the road |
"""


# ==========================================================================
# Parsing
# ==========================================================================
def die(msg):
    raise SystemExit("build_event_list: " + msg)


def parse_components():
    out = []
    for line in COMPONENTS.strip().splitlines():
        left, en = line.split("|")
        code, zh = left.split(None, 1)
        code, zh, en = code.strip(), zh.strip(), en.strip()
        out.append({"code": code, "major_class_code": code[:2],
                    "major_class": MAJOR_CLASSES[code[:2]],
                    "name_zh": zh, "name_en": en})
    return out


def parse_syns(field):
    return [s.strip() for s in field.split(",") if s.strip()]


def make_attr(key, order):
    if key not in ATTRIBUTES:
        die("unknown attribute key %r" % key)
    datatype, required, zh, en, extra = ATTRIBUTES[key]
    a = {"code": key, "datatype": datatype, "required": required,
         "order": order, "label_zh": zh, "label_en": en}
    if "values" in extra:
        a["values"] = [{"key": k, "name_zh": vz, "name_en": ve}
                       for (k, vz, ve) in extra["values"]]
    for k in ("max_length", "min", "max"):
        if k in extra:
            a[k] = extra[k]
    return a


def build_rules(profile_name, opts, where):
    if profile_name not in PROFILES:
        die("%s: unknown profile %r" % (where, profile_name))
    p = dict(PROFILES[profile_name])
    for opt in opts:
        if "=" not in opt:
            die("%s: bad option %r" % (where, opt))
        k, v = opt.split("=", 1)
        if k == "g":
            p["g"] = v
        elif k == "c":
            v = ALL_COVERS if v == "ALL_COVERS" else v
            p["c"] = v.split(",")
        elif k == "pe":
            p["pe"] = int(v)
        elif k == "a":
            p["a"] = [] if v == "-" else v.split(",")
        elif k == "r":
            p["r"] = v
        elif k == "ph":
            lo, hi = v.split("-")
            p["ph"] = (int(lo), int(hi))
        elif k == "acc":
            p["acc"] = int(v)
        elif k == "og":
            p["og"] = v
        elif k == "pin":
            p["pin"] = v == "1"
        elif k == "os":
            p["os"] = v == "1"
        elif k == "lv":
            p["lv"] = v
        elif k == "h":
            a, d = v.split("/")
            p["h"] = (int(a), int(d))
        else:
            die("%s: unknown option key %r" % (where, k))
    roles = [ROLE_LETTERS[ch] for ch in p["r"]]
    roles = [r for r in ROLE_ORDER if r in roles]
    rules = {
        "evidence": {"min_photos": p["ph"][0], "max_photos": p["ph"][1],
                     "after_photo_to_close_on_spot": p["os"]},
        "location": {"required": True, "max_accuracy_m": p["acc"],
                     "own_grid": p["og"], "manual_pin_allowed": p["pin"]},
        "component": ({"required": True, "types": p["c"]} if p["c"] else None),
        "attributes": [make_attr(k, i + 1) for i, k in enumerate(p["a"])],
        "roles": roles,
        "on_site_disposal": p["os"],
        "handling": {"level": p["lv"], "accept_hours": p["h"][0],
                     "dispose_hours": p["h"][1]},
        "police_element": p["pe"],
    }
    if profile_name == "fac" and not p["c"]:
        die("%s: facility subtype without component types" % where)
    return rules, p["g"]


def parse_event_list():
    subtypes, problems = [], []
    cat = None
    sub_seq = {}
    cur = None
    prob_seq = 0
    for lineno, raw in enumerate(EVENT_LIST.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        where = "line %d" % lineno
        if line.startswith("C "):
            cat = line[2:].strip()
            cur = None
            continue
        if line.startswith("S "):
            f = [x.strip() for x in line[2:].split("|")]
            if len(f) != 5:
                die("%s: subtype needs 5 fields: %r" % (where, line))
            zh, en, syns, prof, opts = f
            sub_seq[cat] = sub_seq.get(cat, 0) + 1
            code = "%s-%03d" % (cat, sub_seq[cat])
            rules, gbt = build_rules(prof, opts.split(), where)
            st = {"code": code, "category": cat, "name_zh": zh, "name_en": en}
            s = parse_syns(syns)
            if s:
                st["synonyms"] = s
            st["gbt_event_code"] = gbt
            st["rules"] = rules
            subtypes.append(st)
            cur = code
            prob_seq = 0
            continue
        if line.startswith("- "):
            if cur is None:
                die("%s: problem outside a subtype" % where)
            f = [x.strip() for x in line[2:].split("|")]
            if len(f) != 3:
                die("%s: problem needs 3 fields: %r" % (where, line))
            zh, en, syns = f
            prob_seq += 1
            pr = {"code": "%s-%02d" % (cur, prob_seq), "subtype": cur,
                  "name_zh": zh, "name_en": en}
            s = parse_syns(syns)
            if s:
                pr["synonyms"] = s
            problems.append(pr)
            continue
        die("%s: cannot parse %r" % (where, line))
    return subtypes, problems


# ==========================================================================
# Canonical hash
# ==========================================================================
def canonical_bytes(pkg):
    obj = json.loads(json.dumps(pkg))          # deep copy
    obj["header"].pop("sha256", None)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def canonical_sha256(pkg):
    return hashlib.sha256(canonical_bytes(pkg)).hexdigest()


# ==========================================================================
# Consistency checks (the loader's list, plus authoring-only checks)
# ==========================================================================
DATATYPES = {"string", "number", "datetime", "text", "single_choice",
             "multi_choice"}
CHOICE = {"single_choice", "multi_choice"}
OWN_GRID = {"error", "warning", "none"}
LEVELS = {"grid", "town", "district"}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
FILLER = re.compile(r"其他|其它|问题\d|^\S*\d+$|misc|other", re.I)


def check(pkg, gbt_csv=GBT_CSV):
    errs = []

    def req(cond, msg):
        if not cond:
            errs.append(msg)

    h = pkg["header"]
    req(h.get("schema_version") == 1, "unsupported schema_version")
    req(re.fullmatch(r"[0-9a-f]{64}", h.get("sha256", "")) is not None,
        "sha256 not 64 lowercase hex")
    req(h.get("sha256") == canonical_sha256(pkg), "sha256 mismatch")
    counts = {"categories": len(pkg["categories"]),
              "subtypes": len(pkg["subtypes"]),
              "problems": len(pkg["problems"]),
              "component_types": len(pkg["component_types"]),
              "police_elements": len(pkg["police_elements"])}
    req(h["counts"] == counts, "header counts %r != actual %r" % (h["counts"], counts))
    req(counts == EXPECTED, "counts %r != expected %r" % (counts, EXPECTED))
    req(re.fullmatch(r"\d{4}-\d{2}-\d{2}", h["effective_date"]) is not None,
        "effective_date format")
    req(h["jurisdiction"]["code"] == "320506", "jurisdiction code")

    # no floats anywhere
    def walk(x, path="$"):
        if isinstance(x, float):
            errs.append("float at %s" % path)
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, path + "." + k)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, "%s[%d]" % (path, i))
    walk(pkg)

    def names_ok(items, what):
        zh, en = set(), set()
        for it in items:
            for k in ("name_zh", "name_en"):
                v = it.get(k, "")
                req(isinstance(v, str) and v.strip() != "" and v == v.strip(),
                    "%s %s: empty/untrimmed %s" % (what, it.get("code", it.get("id")), k))
            req(it["name_zh"] not in zh, "%s: duplicate sibling zh %r" % (what, it["name_zh"]))
            req(it["name_en"].lower() not in en, "%s: duplicate sibling en %r" % (what, it["name_en"]))
            zh.add(it["name_zh"])
            en.add(it["name_en"].lower())
            for k in ("name_zh", "name_en"):
                req(not FILLER.search(it[k]), "%s %s: filler-looking name %r"
                    % (what, it.get("code", it.get("id")), it[k]))
            for s in it.get("synonyms", []):
                req(isinstance(s, str) and s.strip() != "", "empty synonym")
            syn = it.get("synonyms", [])
            req(len(set(syn)) == len(syn), "%s: duplicate synonyms" % it.get("code"))

    # categories
    cat_codes = [c["code"] for c in pkg["categories"]]
    req(cat_codes == ["01", "02", "03", "04"], "category codes")
    req([(c["code"], c["name_zh"], c["name_en"]) for c in pkg["categories"]]
        == CATEGORIES, "category names")
    names_ok(pkg["categories"], "category")

    # police elements
    pe_ids = [p["id"] for p in pkg["police_elements"]]
    req(pe_ids == list(range(1, 35)), "police element ids must be 1..34")
    names_ok(pkg["police_elements"], "police element")

    # component types
    comp_codes = [c["code"] for c in pkg["component_types"]]
    req(len(set(comp_codes)) == len(comp_codes), "duplicate component codes")
    for c in pkg["component_types"]:
        req(re.fullmatch(r"\d{5}", c["code"]) is not None, "component code %r" % c["code"])
        req(c["major_class_code"] == c["code"][:2], "component major class %r" % c["code"])
        req(c["name_zh"].strip() and c["name_en"].strip(), "component name %r" % c["code"])
    comp_set = set(comp_codes)

    # subtypes
    sub_codes = set()
    seq = {}
    by_cat = {}
    all_sub_zh, all_sub_en = set(), set()
    pe_used = {}
    for st in pkg["subtypes"]:
        code = st["code"]
        req(re.fullmatch(r"\d{2}-\d{3}", code) is not None, "subtype code %r" % code)
        req(code not in sub_codes, "duplicate subtype code %r" % code)
        sub_codes.add(code)
        req(st["category"] in cat_codes, "%s: unknown category" % code)
        req(code.startswith(st["category"] + "-"), "%s: prefix != category" % code)
        seq[st["category"]] = seq.get(st["category"], 0) + 1
        req(int(code[3:]) == seq[st["category"]], "%s: numbering not contiguous" % code)
        by_cat.setdefault(st["category"], []).append(st)
        req(st["name_zh"] not in all_sub_zh, "subtype zh not globally unique: %r" % st["name_zh"])
        req(st["name_en"].lower() not in all_sub_en, "subtype en not globally unique: %r" % st["name_en"])
        all_sub_zh.add(st["name_zh"])
        all_sub_en.add(st["name_en"].lower())
        g = st["gbt_event_code"]
        req(g is None or re.fullmatch(r"\d{5}", g) is not None, "%s: gbt code %r" % (code, g))

        r = st["rules"]
        req(set(r) == {"evidence", "location", "component", "attributes", "roles",
                       "on_site_disposal", "handling", "police_element"},
            "%s: rules keys" % code)
        ev = r["evidence"]
        req(isinstance(ev["min_photos"], int) and isinstance(ev["max_photos"], int),
            "%s: photo counts" % code)
        req(0 <= ev["min_photos"] <= ev["max_photos"] <= 9 and ev["max_photos"] >= 1,
            "%s: photo range" % code)
        req(ev["after_photo_to_close_on_spot"] == r["on_site_disposal"],
            "%s: after_photo_to_close_on_spot != on_site_disposal" % code)
        req(isinstance(r["on_site_disposal"], bool), "%s: on_site_disposal bool" % code)
        loc = r["location"]
        req(loc["required"] is True, "%s: location.required" % code)
        req(isinstance(loc["max_accuracy_m"], int) and 5 <= loc["max_accuracy_m"] <= 500,
            "%s: max_accuracy_m" % code)
        req(loc["own_grid"] in OWN_GRID, "%s: own_grid" % code)
        req(isinstance(loc["manual_pin_allowed"], bool), "%s: manual_pin_allowed" % code)
        comp = r["component"]
        if comp is not None:
            req(comp["required"] is True and len(comp["types"]) >= 1,
                "%s: component" % code)
            req(len(set(comp["types"])) == len(comp["types"]), "%s: dup component types" % code)
            for t in comp["types"]:
                req(t in comp_set, "%s: unknown component type %r" % (code, t))
        attrs = r["attributes"]
        req(0 <= len(attrs) <= 4, "%s: 0..4 attributes" % code)
        acodes = [a["code"] for a in attrs]
        orders = [a["order"] for a in attrs]
        req(len(set(acodes)) == len(acodes), "%s: duplicate attribute codes" % code)
        req(len(set(orders)) == len(orders), "%s: duplicate attribute orders" % code)
        for a in attrs:
            req(SNAKE.match(a["code"]) is not None, "%s: attr code %r" % (code, a["code"]))
            req(a["datatype"] in DATATYPES, "%s: datatype %r" % (code, a["datatype"]))
            req(isinstance(a["required"], bool), "%s: attr required" % code)
            req(1 <= a["order"] <= len(attrs), "%s: attr order range" % code)
            req(a["label_zh"].strip() and a["label_en"].strip(), "%s: attr labels" % code)
            if a["datatype"] in CHOICE:
                vals = a.get("values", [])
                keys = [v["key"] for v in vals]
                req(len(vals) >= 2, "%s: choice needs >=2 values" % code)
                req(len(set(keys)) == len(keys), "%s: duplicate value keys" % code)
                for v in vals:
                    req(SNAKE.match(v["key"]) is not None, "%s: value key %r" % (code, v["key"]))
                    req(v["name_zh"].strip() and v["name_en"].strip(), "%s: value names" % code)
            else:
                req("values" not in a, "%s: non-choice attribute has values" % code)
            if "max_length" in a:
                req(a["datatype"] in ("string", "text") and isinstance(a["max_length"], int)
                    and a["max_length"] >= 1, "%s: max_length" % code)
            if "min" in a or "max" in a:
                req(a["datatype"] == "number", "%s: min/max on non-number" % code)
                if "min" in a and "max" in a:
                    req(a["min"] <= a["max"], "%s: min > max" % code)
        roles = r["roles"]
        req(len(roles) >= 1, "%s: roles empty" % code)
        req(len(set(roles)) == len(roles), "%s: duplicate roles" % code)
        for ro in roles:
            req(ro in ROLE_ORDER, "%s: unknown role %r" % (code, ro))
        hd = r["handling"]
        req(hd["level"] in LEVELS, "%s: handling.level" % code)
        req(isinstance(hd["accept_hours"], int) and isinstance(hd["dispose_hours"], int)
            and 0 < hd["accept_hours"] <= hd["dispose_hours"], "%s: handling hours" % code)
        pe = r["police_element"]
        if pe is not None:
            req(pe in pe_ids, "%s: unknown police element %r" % (code, pe))
            req(pe not in pe_used, "%s: police element %r already used by %s"
                % (code, pe, pe_used.get(pe)))
            pe_used[pe] = code
            req("volunteer" not in roles, "%s: police-element subtype allows volunteer" % code)
    for c in cat_codes:
        names_ok(by_cat.get(c, []), "subtype in %s" % c)

    # problems
    prob_codes = set()
    by_sub = {}
    pseq = {}
    last = ""
    for pr in pkg["problems"]:
        code = pr["code"]
        req(re.fullmatch(r"\d{2}-\d{3}-\d{2}", code) is not None, "problem code %r" % code)
        req(code not in prob_codes, "duplicate problem code %r" % code)
        req(code > last, "problems not ordered by code at %r" % code)
        last = code
        prob_codes.add(code)
        req(pr["subtype"] in sub_codes, "%s: unknown subtype" % code)
        req(code.startswith(pr["subtype"] + "-"), "%s: prefix != subtype" % code)
        pseq[pr["subtype"]] = pseq.get(pr["subtype"], 0) + 1
        req(int(code[7:]) == pseq[pr["subtype"]], "%s: numbering not contiguous" % code)
        by_sub.setdefault(pr["subtype"], []).append(pr)
    for s in sub_codes:
        req(s in by_sub, "%s: subtype has no problem" % s)
    for s, items in by_sub.items():
        names_ok(items, "problem in %s" % s)

    # national reference (only if the CSV is present)
    if gbt_csv.exists():
        with open(gbt_csv, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        events = {r["code"] for r in rows if r["kind"] == "event"}
        comps = [(r["code"], r["major_class_code"], r["major_class"], r["name"])
                 for r in rows if r["kind"] == "component"]
        ours = [(c["code"], c["major_class_code"], c["major_class"], c["name_zh"])
                for c in pkg["component_types"]]
        req(ours == comps, "component types differ from the CSV")
        for st in pkg["subtypes"]:
            g = st["gbt_event_code"]
            req(g is None or g in events, "%s: gbt code %r is not an event row" % (st["code"], g))
    if errs:
        die("consistency check failed:\n  " + "\n  ".join(errs))


# ==========================================================================
def build():
    subtypes, problems = parse_event_list()
    pkg = {
        "header": dict(HEADER),
        "categories": [{"code": c, "name_zh": z, "name_en": e} for c, z, e in CATEGORIES],
        "police_elements": [{"id": i, "name_zh": z, "name_en": e}
                            for i, z, e in POLICE_ELEMENTS],
        "component_types": parse_components(),
        "subtypes": subtypes,
        "problems": problems,
    }
    pkg["header"]["counts"] = {
        "categories": len(pkg["categories"]),
        "subtypes": len(subtypes),
        "problems": len(problems),
        "component_types": len(pkg["component_types"]),
        "police_elements": len(pkg["police_elements"]),
    }
    pkg["header"]["sha256"] = canonical_sha256(pkg)
    return pkg


def main():
    pkg = build()
    check(pkg)
    text = json.dumps(pkg, ensure_ascii=False, indent=2) + "\n"
    # round-trip: what we write is what we checked
    again = json.loads(text)
    check(again)
    OUT.write_text(text, encoding="utf-8")
    h = pkg["header"]
    print("wrote %s: %d categories, %d subtypes, %d problems, %d component types, "
          "%d police elements; sha256 %s" % (
              OUT.relative_to(REPO), *h["counts"].values(), h["sha256"]))


if __name__ == "__main__":
    main()
